from typer.testing import CliRunner

from sumoctl import __version__
from sumoctl.cli.app import app


def test_version_flag_prints_the_package_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"sumoctl {__version__}"


def _run_main(*args: str) -> tuple[str, set[str]]:
    """`sumoctl ARGS` in a fresh interpreter: what it printed, and which sumoctl modules it imported."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from sumoctl.cli.app import main\n"
        f"sys.argv = ['sumoctl', *{list(args)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('sumoctl.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    *printed, modules = out.rstrip("\n").split("\n")
    return "\n".join(printed), set(eval(modules))  # noqa: S307 - our own print of a list of names


def test_a_command_imports_only_its_own_module():
    printed, modules = _run_main("version")
    assert printed.strip() == f"sumoctl {__version__}"
    assert "sumoctl.cli.version" in modules
    assert not {"sumoctl.cli.eval", "sumoctl.engine", "sumoctl.sumo", "sumoctl.query.parser"} & modules


def test_help_lists_every_command_and_every_command_has_its_module():
    from sumoctl.cli.commands import MODULES

    printed, modules = _run_main("--help")
    for name in MODULES:
        assert f" {name} " in printed
    assert {f"sumoctl.cli.{module}" for module in MODULES.values()} <= modules
    registered = [info.name or info.callback.__name__ for info in app.registered_commands]
    assert sorted(registered) == sorted(MODULES)  # a new command needs its line in MODULES
