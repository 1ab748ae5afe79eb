"""``onsembl sync configure|status|now|disable`` with the app stopped and running."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.store.test_pg_schema import onsembl
from tests.support import AppProcess, wait_for
from tests.sync.conftest import remote_rows

pytestmark = pytest.mark.postgres


def sync(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = onsembl("sync", *args, "--data-dir", str(data_dir))
    return result.returncode, result.stdout, result.stderr


def test_the_app_stopped_then_running(tmp_path: Path, remote_url: str) -> None:
    data_dir = tmp_path / "data"
    with_password = remote_url.replace("postgres@", "postgres:s3cret@")
    # No keyring on this machine: refused without consent, and the password is nowhere.
    code, _out, err = sync(data_dir, "configure", "--url", with_password)
    assert code == 1 and "No system keyring" in err and "--allow-file-secret" in err
    assert not (data_dir / "secrets.json").exists()
    code, out, err = sync(data_dir, "configure", "--url", with_password, "--allow-file-secret")
    assert code == 0, err
    assert "s3cret" not in out and "connected" in out
    secrets = data_dir / "secrets.json"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert "s3cret" not in (data_dir / "onsembl.db").read_bytes().decode("latin-1")

    code, out, _ = sync(data_dir, "status", "--json")
    view = json.loads(out)
    assert code == 0 and view["state"] == "stopped" and "s3cret" not in out
    assert view["url"] == remote_url and view["backlog"] >= 1  # the local user, at least

    code, out, err = sync(data_dir, "now", "--json")  # the app is not running: directly
    assert code == 0, err
    assert json.loads(out)["state"] == "online"
    assert remote_rows(remote_url, "SELECT count(*) FROM users") == [(1,)]

    app = AppProcess(data_dir, ["--heartbeat", "1"]).start()
    try:
        wait_for(lambda: json.loads(sync(data_dir, "status", "--json")[1])["state"] == "online")
        code, out, _ = sync(data_dir, "now")
        assert code == 0 and out.startswith("sync: synced")
        code, out, _ = sync(data_dir, "disable")
        assert code == 0 and "disabled" in out
        view = json.loads(sync(data_dir, "status", "--json")[1])
        assert view["state"] == "disabled"
        assert not json.loads(secrets.read_text())  # the password is forgotten
        code, _, err = sync(data_dir, "now")
        assert code == 1 and "not configured" in err
    finally:
        app.stop()


def test_a_url_that_is_not_postgresql_is_refused(tmp_path: Path) -> None:
    code, _, err = sync(tmp_path / "data", "configure", "--url", "mysql://x@y/z")
    assert code == 1 and "not a PostgreSQL URL" in err
