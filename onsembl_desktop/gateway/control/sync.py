"""Control methods for sync while the app runs: ``sync.status``, ``sync.now``,
``sync.configure`` and ``sync.disable`` (``onsembl sync ...`` uses them when the app holds the
data dir). The password never travels here: ``onsembl sync configure`` keeps it in the keyring
itself, and the app reads it from there."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import msgspec

from ...protocol import control as c
from ...sync import local
from .endpoint import ControlSession, method


class SyncNowParams(c.Params, kw_only=True):
    timeout: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 120.0


class SyncConfigureParams(c.Params, kw_only=True):
    url: str  # without its password


@method("sync.status", c.NoParams)
async def sync_status(s: ControlSession, p: c.NoParams) -> Any:
    return s.core.sync.status.as_dict()


@method("sync.now", SyncNowParams)
async def sync_now(s: ControlSession, p: SyncNowParams) -> Any:
    status = await s.core.sync.sync_now(within=p.timeout)
    return status.as_dict()


@method("sync.configure", SyncConfigureParams)
async def sync_configure(s: ControlSession, p: SyncConfigureParams) -> Any:
    await s.core.store.write_wait(partial(local.enable, url=p.url))
    s.core.sync.reconfigure()
    return s.core.sync.status.as_dict()


@method("sync.disable", c.NoParams)
async def sync_disable(s: ControlSession, p: c.NoParams) -> Any:
    await s.core.store.write_wait(local.disable)
    s.core.sync.reconfigure()
    return {"disabled": True}
