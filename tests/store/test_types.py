"""Column helpers: time-ordered ids and the text form of times in SQLite."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from onsembl_desktop.store.types import sqlite_datetime, uuid7


def test_uuid7_is_a_real_version_7_uuid_ordered_by_time() -> None:
    first = uuid7()
    time.sleep(0.002)
    second = uuid7()
    for value in (first, second):
        assert value.version == 7 and value.variant == uuid.RFC_4122
        assert value == uuid.UUID(str(value)) and hash(value) == hash(uuid.UUID(value.hex))
    assert first < second and first.hex < second.hex  # later ids sort later, as text too
    assert len({uuid7() for _ in range(10_000)}) == 10_000
    millis = first.int >> 80
    assert abs(millis - time.time_ns() // 1_000_000) < 60_000


def test_sqlite_datetime_is_sqlalchemys_text_form_in_utc() -> None:
    assert sqlite_datetime(datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == (
        "2026-01-02 03:04:05.000006"
    )
    assert (
        sqlite_datetime(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02 03:04:05.000000"
    )
    plus_two = timezone(timedelta(hours=2))
    assert sqlite_datetime(datetime(2026, 1, 2, 1, 0, tzinfo=plus_two)) == (
        "2026-01-01 23:00:00.000000"
    )
    with pytest.raises(ValueError, match="naive datetime"):
        sqlite_datetime(datetime(2026, 1, 2))
