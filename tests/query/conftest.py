"""Shared paths for the query tests: the real corpus and design notes live beside the repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "data" / "sumo-queries" / "community-examples.jsonl"
BLOG = SHARED / "design" / "blog-searches.md"


def corpus_queries() -> list[str]:
    with CORPUS.open(encoding="utf-8") as fh:
        return [json.loads(line)["query"] for line in fh]


@pytest.fixture(scope="session")
def corpus() -> list[str]:
    return corpus_queries()
