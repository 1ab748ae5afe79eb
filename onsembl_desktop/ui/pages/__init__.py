"""The window's pages (``base.Page``: lazy load, coalesced reloads, persisted layout): queue,
traces, reports, history with its command detail, audit."""
