"""Subcommands of `opendata`, one family per module."""
