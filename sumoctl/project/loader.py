"""Reading `monitors/*.yaml` and `environments/*.yaml` into validated models, collecting every error at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sumoctl.errors import SumoctlError
from sumoctl.models import Detection, Environment
from sumoctl.yamlfile import YamlDocument, load_yaml

MONITORS_DIR = "monitors"
ENVIRONMENTS_DIR = "environments"
QUERIES_DIR = "queries"
TEMPLATES_DIR = "templates"
EVENTS_DIR = "tests/events"


class ProjectInvalid(SumoctlError):
    """Every problem found while loading a repository; printed one located line each."""

    def __init__(self, errors: list[SumoctlError]):
        super().__init__("\n".join(str(e) for e in errors), path=errors[0].path if errors else None)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


@dataclass
class Source:
    """Where a model came from, to locate errors found after loading."""

    path: Path
    display: str
    document: YamlDocument

    def error(self, message: str, loc: tuple = ()) -> SumoctlError:
        line, col = self.document.position(loc)
        return SumoctlError(message, self.display, line, col)


@dataclass
class Project:
    root: Path
    detections: dict[str, Detection] = field(default_factory=dict)
    environments: dict[str, Environment] = field(default_factory=dict)
    sources: dict[tuple[str, str], Source] = field(default_factory=dict)  # ("detection"|"environment", id)

    def relative(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def detection(self, detection_id: str) -> Detection:
        try:
            return self.detections[detection_id]
        except KeyError:
            known = ", ".join(sorted(self.detections)) or "none"
            raise SumoctlError(f"unknown detection {detection_id!r} (known: {known})") from None

    def environment(self, name: str) -> Environment:
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            raise SumoctlError(f"unknown environment {name!r} (known: {known})") from None

    def source(self, kind: str, key: str) -> Source:
        return self.sources[(kind, key)]

    def render(self, detection_id: str, env_name: str, extra_params: dict[str, Any] | None = None):
        from sumoctl.project.render import render_detection

        return render_detection(self, self.detection(detection_id), self.environment(env_name), extra_params)


def _validation_errors(err: ValidationError, source: Source) -> list[SumoctlError]:
    out = []
    for item in err.errors():
        loc = tuple(item["loc"])
        # Discriminated unions add the tag to the location (deploy.monitor.frequency): drop it to find the YAML node.
        yaml_loc = tuple(p for p in loc if p not in ("monitor", "scheduled_search"))
        where = ".".join(str(p) for p in loc) or "document"
        if item["type"] == "extra_forbidden":
            message = f"unknown key {where!r}"
        elif item["type"] == "missing":
            message = f"missing required key {where!r}"
        else:
            message = f"{where}: {item['msg']}"
            if item["type"] in ("literal_error", "enum"):
                message += f" (got {item.get('input')!r})"
        out.append(source.error(message, yaml_loc))
    return out


def _load_model(model: type[BaseModel], path: Path, project: Project, errors: list[SumoctlError]):
    display = project.relative(path)
    try:
        doc = load_yaml(path, display)
    except SumoctlError as err:
        errors.append(err)
        return None, None
    source = Source(path, display, doc)
    if not isinstance(doc.data, dict):
        errors.append(source.error("expected a mapping of keys to values"))
        return None, None
    try:
        return model.model_validate(doc.data), source
    except ValidationError as err:
        errors.extend(_validation_errors(err, source))
        return None, None


def load_project(root: Path | str = ".") -> Project:
    """Load and validate every detection and environment under `root`; raise ProjectInvalid listing all errors."""
    root = Path(root)
    project = Project(root=root)
    errors: list[SumoctlError] = []
    if not (root / MONITORS_DIR).is_dir():
        raise SumoctlError(f"no {MONITORS_DIR}/ folder: is {str(root)!r} a detections repository?", str(root))

    for path in sorted((root / MONITORS_DIR).glob("*.yaml")) + sorted((root / MONITORS_DIR).glob("*.yml")):
        detection, source = _load_model(Detection, path, project, errors)
        if detection is None:
            continue
        if detection.id in project.detections:
            first = project.sources[("detection", detection.id)].display
            errors.append(source.error(f"duplicate detection id {detection.id!r} (also in {first})", ("id",)))
            continue
        project.detections[detection.id] = detection
        project.sources[("detection", detection.id)] = source
        template = root / QUERIES_DIR / detection.query
        if not template.is_file():
            errors.append(source.error(f"query template {QUERIES_DIR}/{detection.query} does not exist", ("query",)))

    env_dir = root / ENVIRONMENTS_DIR
    for path in sorted(env_dir.glob("*.yaml")) + sorted(env_dir.glob("*.yml")):
        environment, source = _load_model(Environment, path, project, errors)
        if environment is None:
            continue
        name = environment.name or path.stem
        if environment.name and environment.name != path.stem:
            errors.append(source.error(f"environment name {environment.name!r} differs from its file name", ("name",)))
        environment.name = name
        project.environments[name] = environment
        project.sources[("environment", name)] = source

    # An override naming a detection whose file failed to load is not a second error.
    all_detections_loaded = not any(e.path and e.path.startswith(MONITORS_DIR) for e in errors)
    for name, environment in project.environments.items() if all_detections_loaded else ():
        source = project.sources[("environment", name)]
        for detection_id in environment.overrides:
            if detection_id not in project.detections:
                errors.append(source.error(f"override for unknown detection {detection_id!r}", ("overrides", detection_id)))

    if errors:
        raise ProjectInvalid(errors)
    return project
