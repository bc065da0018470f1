"""`sumoctl validate` as a library: render every detection for every environment, parse and lint the result.

Errors (unrenderable templates, syntax errors, unknown connections, broken payloads) make a repository invalid.
Lint findings are warnings; `strict` turns those of enabled detections into failures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sumoctl.errors import SumoctlError
from pathlib import Path

from sumoctl.project.loader import Project, ProjectInvalid, load_project
from sumoctl.project.render import RenderedDetection


@dataclass(frozen=True)
class Problem:
    """One error or lint finding, located in a repository file."""

    path: str
    line: int | None
    column: int | None
    message: str
    rule: str | None = None  # lint rule id; None for an error
    detection: str | None = None
    environment: str | None = None
    enabled: bool = True

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.path, self.line, self.column) if p is not None)
        text = f"{self.rule} {self.message}" if self.rule else self.message
        return f"{where}: {text}"

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "message": self.message,
            "detection": self.detection,
            "environment": self.environment,
        }


@dataclass
class ValidationReport:
    environments: list[str]
    detections: int = 0
    errors: list[Problem] = field(default_factory=list)
    findings: list[Problem] = field(default_factory=list)

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors) or (strict and any(f.enabled for f in self.findings))


def _problem(err: SumoctlError, detection: str | None, environment: str | None) -> Problem:
    return Problem(err.path or "", err.line, err.column, err.message, None, detection, environment)


def _check_notifications(rendered: RenderedDetection, project: Project) -> list[Problem]:
    problems = []
    source = project.source("detection", rendered.id)
    for index, notification in enumerate(rendered.detection.notifications):
        connection = rendered.environment.connection(notification.connection)
        if connection is None:
            err = source.error(
                f"connection {notification.connection!r} is not declared in environment {rendered.environment.name!r}",
                ("notifications", index, "connection"),
            )
            problems.append(_problem(err, rendered.id, rendered.environment.name))
            continue
        for template in filter(None, (notification.payload or connection.default_payload, notification.resolution_payload or connection.resolution_payload)):
            try:
                rendered.payload(template)
            except SumoctlError as err:
                problems.append(_problem(err, rendered.id, rendered.environment.name))
    return problems


def validate_project(project: Project, environments: list[str] | None = None) -> ValidationReport:
    from sumoctl.query import QuerySyntaxError, lint, parse

    names = environments or sorted(project.environments)
    for name in names:
        project.environment(name)  # unknown names fail early, with the known ones listed
    report = ValidationReport(environments=names, detections=len(project.detections))
    seen_findings: set[tuple] = set()
    for env_name in names:
        for detection_id in sorted(project.detections):
            try:
                rendered = project.render(detection_id, env_name)
            except SumoctlError as err:
                report.errors.append(_problem(err, detection_id, env_name))
                continue
            report.errors.extend(_check_notifications(rendered, project))
            try:
                query = parse(rendered.query)
            except QuerySyntaxError as err:
                path, line, column = rendered.locate(err.line, err.column)
                report.errors.append(
                    Problem(path, line, column, f"query syntax error ({detection_id}, env {env_name}): {err.message}", None, detection_id, env_name)
                )
                continue
            for finding in lint(query, rendered.query):
                path, line, column = rendered.locate(finding.line, finding.column)
                key = (path, line, column, finding.rule, detection_id)
                if key in seen_findings:  # the same template line gives the same finding in every environment
                    continue
                seen_findings.add(key)
                report.findings.append(
                    Problem(path, line, column, f"{finding.message} [{detection_id}]", finding.rule, detection_id, env_name, rendered.enabled)
                )
    return report


def validate_repository(root: Path, environments: list[str] | None = None) -> ValidationReport:
    """Load and validate a repository; load errors become the report's errors, so every output format shows them."""
    try:
        project = load_project(root)
    except ProjectInvalid as invalid:
        report = ValidationReport(environments=list(environments or []))
        report.errors = [_problem(err, None, None) for err in invalid.errors]
        return report
    return validate_project(project, environments)
