from typer.testing import CliRunner

from sumoctl import __version__
from sumoctl.cli.app import app


def test_version_flag_prints_the_package_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"sumoctl {__version__}"
