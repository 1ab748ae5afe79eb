"""Protocol versioning.

Every AGENT_CONNECT names the protocol version the agent speaks. The server accepts any version in
[MIN_SUPPORTED, CURRENT]; a message type introduced in a later version is refused on a connection
that negotiated an earlier one. Add new messages with ``since=<new version>`` and bump ``CURRENT``.
"""

CURRENT = 1
MIN_SUPPORTED = 1
