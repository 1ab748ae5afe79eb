"""Frozen ``onsembl``: the app and its subcommands; also accepts ``-m onsembl_desktop.agent`` and
``-m onsembl_desktop.demo.standin`` (what ``onsembl --demo`` runs as its agents' CLIs)."""

import sys

from onsembl_desktop.launcher import AGENT_MODULE, APP_MODULE, frozen_main

# Spelled out, not imported from demo.agents: that would load the core before any program runs.
STANDIN_MODULE = "onsembl_desktop.demo.standin"

sys.exit(frozen_main(APP_MODULE, AGENT_MODULE, STANDIN_MODULE))
