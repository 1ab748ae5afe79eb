"""Agents, commands and their queues, audit: the app's behaviour, free of Qt and of sockets."""
