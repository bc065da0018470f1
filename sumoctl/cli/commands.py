"""Imports every command module so that each registers itself on the app. One line per command."""

from sumoctl.cli import version  # noqa: F401
