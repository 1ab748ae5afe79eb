"""Security tests use the in-process app (``live``) and the raw clients of tests/gateway."""

from __future__ import annotations

from tests.gateway.conftest import Live, RawAgent, RawControl, live, start_app, submit

__all__ = ["Live", "RawAgent", "RawControl", "live", "start_app", "submit"]
