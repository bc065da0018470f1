"""JSON Schema of the repository files, generated from the pydantic models (the single source of truth)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from sumoctl.models import Detection, Environment

SCHEMA_FILES: dict[str, type[BaseModel]] = {
    "detection.schema.json": Detection,
    "environment.schema.json": Environment,
}


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    document = model.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return document
