"""Rendering detections for one environment with sandboxed Jinja.

Query templates (`queries/*.sumo.j2`, macros in `templates/`) use Jinja's usual `{{ }}` delimiters. Webhook
payload templates use `[[ ]]` and `[% %]` instead, because Sumo's own alert variables (`{{TriggerType}}`,
`{{ResultsJson}}`) use double braces and must reach Sumo untouched.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from sumoctl.errors import SumoctlError
from sumoctl.models import Detection, Environment, Severity

# --- filters that keep parameter values inside Sumo string literals ------------------------------------------------

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def sumo_string(value: Any) -> str:
    """A Sumo double-quoted string literal holding `value` exactly: quotes, backslashes and newlines are escaped."""
    text = value if isinstance(value, str) else str(value)
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in text) + '"'


def sumo_list(values: Any) -> str:
    """A parenthesised list of string literals for `in (...)`: `("US", "CA")`."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        values = [values]
    items = list(values)
    if not items:
        raise ValueError("sumo_list needs at least one value: Sumo has no empty `in ()` list")
    return "(" + ", ".join(sumo_string(v) for v in items) + ")"


def sumo_field(name: Any) -> str:
    """A field name, quoted as `%"..."` when it is not a plain identifier."""
    text = str(name)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*", text):
        return text
    return "%" + sumo_string(text)


def _json_string(value: Any) -> str:
    """The inside of a JSON string literal (for use between quotes in a payload template)."""
    return json.dumps(value if isinstance(value, str) else str(value))[1:-1]


def _tojson(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# One Jinja environment per repository and kind: building one per detection dominated planning 500 detections.
# Its loader still checks template modification times, so edits made while a process runs are seen.
@functools.lru_cache(maxsize=16)
def _query_env(root: Path) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(root / "queries"), str(root / "templates")]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(sumo_string=sumo_string, sumo_list=sumo_list, sumo_field=sumo_field)
    return env


@functools.lru_cache(maxsize=16)
def _payload_env(root: Path) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(root / "templates")]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[%",
        block_end_string="%]",
        comment_start_string="[#",
        comment_end_string="#]",
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(json_string=_json_string, tojson=_tojson)
    return env


# --- results ---------------------------------------------------------------------------------------------------


@dataclass
class RenderedDetection:
    """A detection rendered for one environment: exactly the query text that is deployed and tested."""

    detection: Detection
    environment: Environment
    params: dict[str, Any]
    query: str
    severity: Severity
    enabled: bool
    template: str  # e.g. queries/cloudtrail_console_login.sumo.j2
    _root: Path = field(repr=False, default=Path("."))

    @property
    def id(self) -> str:
        return self.detection.id

    def locate(self, line: int, column: int) -> tuple[str, int, int]:
        """Map a position in the rendered query back to the template file and line that produced it."""
        return locate_in_templates(self._root, self.template, self.query, line, column)

    def payload(self, template: str) -> str:
        """Render a webhook payload template; Sumo's `{{Variables}}` pass through untouched."""
        return render_payload(self._root, template, self)


def _template_error(err: Exception, detection: Detection, template: str, root: Path) -> SumoctlError:
    """Name the detection, the template file and line, and the parameter, from a Jinja failure."""

    def shown(filename: str) -> str:
        path = Path(filename)
        return str(path.resolve().relative_to(root.resolve())) if path.is_absolute() else filename

    # Template frames, outermost first: the query template's line is where the parameter is passed, a macro's
    # line is where it is finally used.
    frames = [(shown(f.filename), f.lineno) for f in traceback.extract_tb(err.__traceback__) if f.filename and f.filename.endswith(".j2")]
    path, line = frames[0] if frames else (template, None)
    used_in = f" (used at {frames[-1][0]}:{frames[-1][1]})" if len(frames) > 1 and frames[-1] != frames[0] else ""
    if isinstance(err, jinja2.UndefinedError):
        match = re.search(r"'([^']+)' is undefined", str(err))
        what = f"parameter {match.group(1)!r} is not defined" if match else str(err)
        return SumoctlError(f"detection {detection.id}: {what}{used_in}; set it in the detection's params or the environment", path, line)
    if isinstance(err, jinja2.TemplateSyntaxError):
        return SumoctlError(f"template syntax error: {err.message}", shown(err.filename) if err.filename else path, err.lineno)
    if isinstance(err, jinja2.TemplateNotFound):
        return SumoctlError(f"detection {detection.id}: template {err.name!r} not found", path, line)
    return SumoctlError(f"detection {detection.id}: {type(err).__name__}: {err}", path, line)


def merged_params(detection: Detection, environment: Environment, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Detection defaults < environment params < environment overrides < extra (e.g. a test case's params)."""
    params = dict(detection.params)
    params.update(environment.params)
    override = environment.overrides.get(detection.id)
    if override:
        params.update(override.params)
    if extra:
        params.update(extra)
    return params


def render_detection(project, detection: Detection, environment: Environment, extra: dict[str, Any] | None = None) -> RenderedDetection:
    root: Path = project.root
    params = merged_params(detection, environment, extra)
    template_name = detection.query
    context = dict(params)
    context["params"] = params
    context["detection"] = {"id": detection.id, "name": detection.name, "severity": detection.severity}
    context["environment"] = {"name": environment.name}
    try:
        text = _query_env(root).get_template(template_name).render(context)
    except jinja2.TemplateSyntaxError as err:
        raise _template_error(err, detection, f"queries/{template_name}", root) from None
    except (jinja2.TemplateError, ValueError, TypeError) as err:
        raise _template_error(err, detection, f"queries/{template_name}", root) from None
    override = environment.overrides.get(detection.id)
    severity = (override.severity if override and override.severity else detection.severity)
    enabled = detection.enabled if not override or override.enabled is None else override.enabled
    return RenderedDetection(
        detection=detection,
        environment=environment,
        params=params,
        query=text.strip() + "\n",
        severity=severity,
        enabled=enabled,
        template=f"queries/{template_name}",
        _root=root,
    )


# Matches Sumo's own template variables so that a payload can be checked as JSON before Sumo fills them in.
_SUMO_VARIABLE = re.compile(r"\{\{[A-Za-z0-9_.]+\}\}")


def render_payload(root: Path, template: str, rendered: RenderedDetection) -> str:
    detection = rendered.detection
    context = {
        "detection": {
            "id": detection.id,
            "name": detection.name,
            "description": detection.description,
            "severity": rendered.severity,
            "tags": detection.tags,
            "techniques": detection.techniques,
        },
        "environment": {"name": rendered.environment.name},
        "params": rendered.params,
    }
    try:
        text = _payload_env(root).get_template(template).render(context)
    except jinja2.TemplateError as err:
        raise _template_error(err, detection, f"templates/{template}", root) from None
    try:
        json.loads(_SUMO_VARIABLE.sub("0", text))
    except json.JSONDecodeError as err:
        raise SumoctlError(
            f"detection {detection.id}: payload is not JSON once Sumo fills its variables: {err.msg}",
            f"templates/{template}",
        ) from None
    return text


# --- mapping rendered lines back to templates ------------------------------------------------------------------------


def _template_sources(root: Path, template: str) -> list[tuple[str, str]]:
    """The query template and every template it imports or includes, as (path, text)."""
    seen: list[tuple[str, str]] = []
    pending = [template]
    while pending:
        rel = pending.pop(0)
        if any(rel == s[0] for s in seen):
            continue
        for base in (root, root / "queries", root / "templates"):
            path = base / rel
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                shown = str(path.resolve().relative_to(root.resolve()))
                seen.append((shown, text))
                pending += re.findall(r"\{%-?\s*(?:import|from|include)\s+[\"']([^\"']+)[\"']", text)
                break
    return seen


_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_JINJA_EXPRESSION = re.compile(r"\{\{.*?\}\}")
_JINJA_TAG_LINE = re.compile(r"^\s*\{%.*%\}\s*$")


def _candidate_lines(text: str) -> list[tuple[int, str]]:
    """Template lines that can produce output: comments blanked (keeping line numbers), tag-only lines dropped."""
    text = _JINJA_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    return [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not _JINJA_TAG_LINE.match(line)
    ]


def _line_pattern(source: str) -> re.Pattern[str]:
    """A template line as a regex: literal text must match, each `{{ ... }}` stands for any text."""
    parts = _JINJA_EXPRESSION.split(source.strip())
    return re.compile(".*".join(re.escape(p) for p in parts), re.S)


def locate_in_templates(root: Path, template: str, rendered: str, line: int, column: int) -> tuple[str, int, int]:
    """Best template line for a rendered line.

    Jinja keeps no map from output to source. A template line whose literal text matches the rendered line (its
    `{{ }}` expressions standing for anything) wins, the one with the most literal text first; failing that, the
    most similar line. Comments and tag-only lines are never candidates. The column is carried over relative to
    the line's indentation.
    """
    lines = rendered.splitlines()
    if not 1 <= line <= len(lines):
        return template, line, column
    target = lines[line - 1]
    best = (-1.0, template, line, column)
    for path, source_text in _template_sources(root, template):
        for number, source in _candidate_lines(source_text):
            literal = len(_JINJA_EXPRESSION.sub("", source.strip()))
            if _line_pattern(source).fullmatch(target.strip()):
                score = 2.0 + literal / max(1, len(target.strip()))
            else:
                score = difflib.SequenceMatcher(None, target.strip(), source.strip(), autojunk=False).ratio()
            if score > best[0]:
                indent = len(source) - len(source.lstrip())
                col = column - (len(target) - len(target.lstrip())) + indent
                best = (score, path, number, max(1, col))
    return best[1], best[2], best[3]
