"""Widgets shared by the window and its pages: the agents panel and card painter, the command bar,
banners, the welcome panel, progress, and small building blocks (``common``)."""
