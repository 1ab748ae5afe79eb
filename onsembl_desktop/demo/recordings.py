"""The recorded sessions the demo replays, shipped as package data (stdlib only)."""

from __future__ import annotations

import json
from importlib import resources

STREAMS = "streams"


def manifest() -> list[dict[str, str]]:
    """Each recording: ``{"cli", "file", "prompt"}`` (the prompt it answered)."""
    data: list[dict[str, str]] = json.loads(_files().joinpath("manifest.json").read_text("utf-8"))
    return data


def read(name: str) -> str:
    return _files().joinpath(name).read_text("utf-8")


def _files() -> resources.abc.Traversable:
    return resources.files("onsembl_desktop.demo").joinpath(STREAMS)
