"""Imports every command module so that each registers itself on the app. One line per command."""

from sumoctl.cli import version  # noqa: F401
from sumoctl.cli import plan  # noqa: F401
from sumoctl.cli import apply  # noqa: F401
from sumoctl.cli import drift  # noqa: F401
