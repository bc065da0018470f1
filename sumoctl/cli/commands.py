"""Imports every command module so that each registers itself on the app. One line per command."""

from sumoctl.cli import version  # noqa: F401
from sumoctl.cli import validate  # noqa: F401
from sumoctl.cli import listing  # noqa: F401
from sumoctl.cli import render  # noqa: F401
from sumoctl.cli import schema  # noqa: F401
from sumoctl.cli import search  # noqa: F401
from sumoctl.cli import test  # noqa: F401
from sumoctl.cli import eval  # noqa: F401
from sumoctl.cli import coverage  # noqa: F401
from sumoctl.cli import docs  # noqa: F401
from sumoctl.cli import plan  # noqa: F401
from sumoctl.cli import apply  # noqa: F401
from sumoctl.cli import drift  # noqa: F401
from sumoctl.cli import importer  # noqa: F401
from sumoctl.cli import init  # noqa: F401
