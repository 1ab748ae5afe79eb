"""Protocol versioning.

Every AGENT_CONNECT names the protocol version the agent speaks. The server accepts any version in
[MIN_SUPPORTED, CURRENT]; a message type introduced in a later version is refused on a connection
that negotiated an earlier one. Add new messages with ``since=<new version>`` and bump ``CURRENT``.
A new optional field is compatible both ways (unknown fields are ignored, missing ones default)
and bumps ``CURRENT`` too, so a peer can tell whether the other side would send it.

  1. the first.
  2. approvals: APPROVAL_REQUEST / APPROVAL_DECISION, COMMAND_REQUEST.approvals,
     AGENT_WELCOME.features, AGENT_CONNECT.pendingApprovals; agent type ACP.
     COMMAND_REQUEST.runId: the ids of the rows an agent reports (trace entries, its report)
     derive from its run (the command *on this agent*), not from the command alone, so a
     command sent to two agents keeps two trace trees and two reports. An agent of version 1
     still derives them from the command; the app moves those into the run's (``core.intake``).
"""

CURRENT = 2
MIN_SUPPORTED = 1
