"""Options and helpers shared by the commands."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from sumoctl.project import Project, load_project

ProjectOption = typer.Option(
    Path("."),
    "--project",
    "-C",
    envvar="SUMOCTL_PROJECT",
    help="Root of the detections repository (holds monitors/, queries/, environments/).",
    show_default=True,
)


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


def load(root: Path) -> Project:
    return load_project(root)


def echo_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
