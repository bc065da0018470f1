"""Where each command lives. A run imports only the module of the command it is asked for: importing all of them
(the engine, the Sumo client, the query parser...) took 0.3 s, most of a short command's time. Help, a name that
is no command, and code that drives `app` itself get every command (`load_all`)."""

from __future__ import annotations

import importlib

MODULES = {  # command -> its module under sumoctl.cli, in the order help lists them
    "version": "version", "validate": "validate", "list": "listing", "render": "render", "schema": "schema",
    "search": "search", "test": "test", "eval": "eval", "coverage": "coverage", "docs": "docs", "plan": "plan",
    "apply": "apply", "drift": "drift", "import": "importer", "init": "init",
}


def load(argv: list[str]) -> None:
    """Register the command that `argv` (the arguments after `sumoctl`) runs, or every command when it names none.
    The root's options take no value, so the command is the first argument that is not an option."""
    name = next((arg for arg in argv if not arg.startswith("-")), None)
    if name in MODULES:
        importlib.import_module(f"sumoctl.cli.{MODULES[name]}")
    else:
        load_all()


def load_all() -> None:
    for module in MODULES.values():
        importlib.import_module(f"sumoctl.cli.{module}")
