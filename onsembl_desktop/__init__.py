"""Onsembl Desktop: run and supervise many AI coding agents from one window."""

__version__ = "0.1.0"
