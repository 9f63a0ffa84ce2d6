"""Accent Coach: offline English pronunciation assessment and practice."""

__version__ = "0.1.0"
