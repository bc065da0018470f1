"""Every detection the repository ships, rendered for every environment, parses into dedicated nodes."""

from __future__ import annotations

import pytest

from sumoctl.project import load_project
from sumoctl.query import ast as a
from sumoctl.query import parse

from .conftest import REPO

PROJECT = load_project(REPO)
CASES = [(d, e) for e in sorted(PROJECT.environments) for d in sorted(PROJECT.detections)]


def test_the_pack_ships_detections():
    assert len(PROJECT.detections) >= 4


@pytest.mark.parametrize("detection_id,env_name", CASES, ids=[f"{d}@{e}" for d, e in CASES])
def test_rendered_query_uses_only_dedicated_nodes(detection_id, env_name):
    rendered = PROJECT.render(detection_id, env_name)
    query = parse(rendered.query)
    generic = [s.name for s in query.stages if isinstance(s, a.GenericStage)]
    assert generic == []
    assert parse(query.to_sumo()) == query
