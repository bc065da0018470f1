# Tests drive the typer `app` itself (CliRunner): every command registered, as `sumoctl --help` has them.
from sumoctl.cli.commands import load_all

load_all()
