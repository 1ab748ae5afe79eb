"""WebSocket endpoints: agents (``/ws/agent``) and control clients (``/ws/control``)."""
