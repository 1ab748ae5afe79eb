"""``onsembl-agent``: the wrapper that runs one agent CLI and streams it to the app.

Imports only ``onsembl_desktop.protocol`` (and the leaf ``paths``): it ships to machines that
never run the app.
"""
