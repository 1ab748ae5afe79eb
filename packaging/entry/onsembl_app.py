"""Frozen ``onsembl``: the app and its subcommands (also accepts ``-m onsembl_desktop.agent``)."""

import sys

from onsembl_desktop.launcher import AGENT_MODULE, APP_MODULE, frozen_main

sys.exit(frozen_main(APP_MODULE, AGENT_MODULE))
