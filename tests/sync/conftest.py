import pytest

from sumoctl.project import load_project
from sumoctl.sync import desired_state, read_secrets
from tests.sync.helpers import ENVIRON, make_repo


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


@pytest.fixture
def desire(repo):
    """Render the `test` environment of the repository as it is now on disk."""

    def render(env: str = "test"):
        project = load_project(repo)
        return desired_state(project, env, read_secrets(project.environment(env), ENVIRON))

    return render
