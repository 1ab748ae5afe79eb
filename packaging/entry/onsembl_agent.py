"""Frozen ``onsembl-agent`` (also accepts ``-m onsembl_desktop.agent``, as its restart uses)."""

import sys

from onsembl_desktop.launcher import AGENT_MODULE, frozen_main

sys.exit(frozen_main(AGENT_MODULE))
