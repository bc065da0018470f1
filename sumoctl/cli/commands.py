"""Imports every command module so that each registers itself on the app. One line per command."""

from sumoctl.cli import version  # noqa: F401
from sumoctl.cli import coverage  # noqa: F401
from sumoctl.cli import docs  # noqa: F401
