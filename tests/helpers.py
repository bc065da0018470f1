"""Shared test helpers: a copy of the shipped detections repository to mutate, and repo paths."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REPO_DIRS = ("monitors", "queries", "templates", "environments", "tests/events")


def copy_repo(target: Path) -> Path:
    """Copy the shipped detections repository (not the code) into `target`."""
    for name in REPO_DIRS:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name)
    return target
