from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sumoctl.project import load_project

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
PACK_EVENTS = REPO / "tests" / "events" / "pack"
# The six detections that mirror the blog's four searches; everything else in monitors/ is the pack.
BLOG_DETECTIONS = {
    "cloudtrail-suspicious-console-login",
    "cloudtrail-account-discovery",
    "cloudtrail-account-discovery-blog",
    "cloudtrail-lambda-persistence",
    "cloudtrail-lambda-persistence-exec-env",
    "cloudtrail-defense-evasion",
}


@pytest.fixture(scope="session")
def project():
    return load_project(REPO)


@pytest.fixture(scope="session")
def pack(project):
    return {i: d for i, d in project.detections.items() if i not in BLOG_DETECTIONS}


def write_repo(root: Path, detections: dict[str, str], environment: str = "") -> Path:
    """A minimal detections repository: one query template, the given monitors, one environment `test`."""
    (root / "monitors").mkdir(parents=True)
    (root / "queries").mkdir()
    (root / "environments").mkdir()
    (root / "queries" / "q.sumo.j2").write_text('_sourceCategory={{ source_category | sumo_string }} | count\n')
    for detection_id, body in detections.items():
        (root / "monitors" / f"{detection_id}.yaml").write_text(
            f"id: {detection_id}\nquery: q.sumo.j2\ndeploy: {{kind: monitor}}\n" + textwrap.dedent(body)
        )
    (root / "environments" / "test.yaml").write_text(
        "deployment: us2\nmonitor_folder: /Monitor/t\ncontent_folder: t\nparams: {source_category: x}\n" + textwrap.dedent(environment)
    )
    return root
