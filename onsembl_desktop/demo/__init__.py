"""``onsembl --demo``: a few local demo agents replaying recorded sessions, so a new user sees the
app at work without any agent CLI installed (Qt-free).

The demo uses its own data dir (``DATA_DIR/demo``), so it never mixes with the user's agents and
history. Each demo agent is a real ``onsembl-agent`` whose "CLI" is :mod:`.standin`, reached
through a small launcher script written into the demo dir (an agent's ``--cli`` is one
executable). The driver sends each agent the prompts of its recordings, one after another with a
pause between, for as long as the app runs; the user can send more.
"""

# Nothing is imported here: ``python -m onsembl_desktop.demo.standin`` must not find its own
# module already imported by the package (runpy warns, and the stand-in must start fast).
