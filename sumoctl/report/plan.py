"""Renderings of plans and drift reports: text for the terminal, JSON for machines, Markdown for a pull request.

Secret fields are only ever shown as `(sensitive)`; plans hold no secret values to begin with.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from sumoctl.sync.drift import DriftItem, DriftReport
from sumoctl.sync.normalise import readable_payload
from sumoctl.sync.plan import SENSITIVE, Action, Change, FieldChange, Plan

SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}
INLINE_MAX = 70


PAYLOAD_FIELDS = ("payloadOverride", "resolutionPayloadOverride", "payload", "defaultPayload", "resolutionPayload")


def _pretty(value: Any, field: str = "") -> str:
    if isinstance(value, str):
        # Payloads are compared in one compact line; shown laid out, so that a diff points at what changed.
        return readable_payload(value) if field.rsplit(".", 1)[-1] in PAYLOAD_FIELDS else value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _inline(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _is_inline(change: FieldChange) -> bool:
    texts = [_inline(change.before), _inline(change.after)]
    nested = any(isinstance(v, dict) and v or isinstance(v, list) and any(isinstance(i, (dict, list)) for i in v)
                 for v in (change.before, change.after))
    return all("\n" not in t and len(t) <= INLINE_MAX for t in texts) and not nested


def _field_diff(change: FieldChange) -> list[str]:
    """Changed lines of a long or multi-line value, as a unified diff without headers."""
    before = _pretty(change.before, change.field).splitlines()
    after = _pretty(change.after, change.field).splitlines()
    lines = list(difflib.unified_diff(before, after, lineterm="", n=1))
    return [line for line in lines[2:]]  # drop the ---/+++ header


def _field_lines(change: FieldChange) -> list[str]:
    if change.sensitive:
        return [f"{change.field}: {SENSITIVE}"]
    if _is_inline(change):
        return [f"{change.field}: {_inline(change.before)} → {_inline(change.after)}"]
    if change.after is None and change.before is not None:
        return [f"{change.field}: removed"]
    if change.before is None:
        return [f"{change.field}: added"] + ["    + " + line for line in _pretty(change.after, change.field).splitlines()]
    return [f"{change.field}:"] + ["    " + line for line in _field_diff(change)]


def _change_head(change: Change) -> str:
    name = f"{change.name!r}"
    key = f" [{change.key}]" if change.key not in (change.name, change.location + "/" + change.name) else ""
    where = f" in {change.location}" if change.location and change.location != "connections" else ""
    ident = f" ({change.id})" if change.id else ""
    note = f" — {change.note}" if change.note else ""
    return f"{SYMBOL[change.action]} {change.action.value} {change.label} {name}{key}{where}{ident}{note}"


# --- plans --------------------------------------------------------------------------------------------------------

def plan_text(plan: Plan) -> str:
    lines = [f"Plan for environment {plan.environment!r}:", ""]
    if not plan.changes:
        lines.append("No changes. Sumo matches the repository.")
    for change in plan.changes:
        lines.append(_change_head(change))
        for field in change.fields:
            lines += ["    " + line for line in _field_lines(field)]
    if plan.unmanaged:
        lines += ["", "Not managed by sumoctl (left alone):"]
        lines += [f"  {u.kind.value} {u.name!r} ({u.id}) in {u.location}" for u in plan.unmanaged]
    lines += ["", f"Plan: {plan.summary}."]
    return "\n".join(lines) + "\n"


def plan_json(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"


def _markdown_diff(change: Change) -> list[str]:
    """Field changes as lines a `diff` code block colours: `-` before, `+` after."""
    lines = []
    for field in change.fields:
        if field.sensitive:
            lines.append(f"! {field.field}: {SENSITIVE}")
        elif _is_inline(field):
            lines += [f"- {field.field}: {_inline(field.before)}", f"+ {field.field}: {_inline(field.after)}"]
        elif field.after is None:
            lines.append(f"- {field.field}: removed")
        elif field.before is None:
            lines.append(f"+ {field.field}: added")
            lines += ["+   " + line for line in _pretty(field.after, field.field).splitlines()]
        else:
            lines.append(f"  {field.field}:")
            lines += [line for line in _field_diff(field) if not line.startswith("@@")]
    return lines


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def plan_markdown(plan: Plan) -> str:
    """A pull-request comment: summary line, a table of changes, and the field diffs in a collapsed block."""
    head = f"### sumoctl plan: `{plan.environment}`\n\n"
    if not plan.changes:
        body = "**No changes.** Sumo matches the repository.\n"
    else:
        body = (f"**{plan.count(Action.CREATE)}** to create, **{plan.count(Action.UPDATE)}** to update, "
                f"**{plan.count(Action.DELETE)}** to delete, {plan.unchanged} unchanged.\n\n")
        body += "| | kind | name | changed fields |\n|---|---|---|---|\n"
        for change in plan.changes:
            fields = ", ".join(f"`{f.field}`" for f in change.fields) or ("" if not change.note else change.note)
            body += (f"| {SYMBOL[change.action]} {change.action.value} | {change.label} | "
                     f"{_md_escape(change.name)} | {_md_escape(fields)} |\n")
        details = []
        for change in plan.changes:
            if change.fields:
                details.append(f"{_change_head(change)}\n\n```diff\n" + "\n".join(_markdown_diff(change)) + "\n```\n")
        if details:
            body += "\n<details><summary>Field changes</summary>\n\n" + "\n".join(details) + "\n</details>\n"
    if plan.unmanaged:
        body += "\nNot managed by sumoctl (left alone): " + ", ".join(
            f"{u.kind.value} `{_md_escape(u.name)}`" for u in plan.unmanaged) + "\n"
    return head + body


def render_plan(plan: Plan, fmt: str) -> str:
    return {"text": plan_text, "json": plan_json, "markdown": plan_markdown}[fmt](plan)


# --- drift --------------------------------------------------------------------------------------------------------

SECTIONS = (
    ("edited", "Edited by hand in Sumo"),
    ("missing", "Missing from Sumo (deleted by hand, or never applied)"),
    ("unmanaged", "Appeared in a managed folder without sumoctl's marker"),
    ("pending", "Pending in the repository (not drift: the next apply makes them)"),
)


def _drift_line(item: DriftItem) -> str:
    ident = f" ({item.id})" if item.id else ""
    fields = f": {', '.join(item.fields)}" if item.fields else ""
    note = f" — {item.note}" if item.note else ""
    key = f" [{item.key}]" if item.key and item.key != item.name else ""
    return f"{item.label} {item.name!r}{key}{ident}{fields}{note}"


def drift_text(report: DriftReport) -> str:
    lines = [f"Drift in environment {report.environment!r} ({report.checked} managed objects checked):", ""]
    for attr, title in SECTIONS:
        items = getattr(report, attr)
        if items:
            lines.append(f"{title}:")
            lines += [f"  {_drift_line(i)}" for i in items]
            lines.append("")
    lines.append("Drift found." if report.drifted else "No drift.")
    return "\n".join(lines) + "\n"


def drift_json(report: DriftReport) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


def drift_markdown(report: DriftReport) -> str:
    out = f"### sumoctl drift: `{report.environment}`\n\n"
    out += ("**Drift found.**\n\n" if report.drifted else "**No drift.**\n\n")
    for attr, title in SECTIONS:
        items = getattr(report, attr)
        if items:
            out += f"**{title}**\n\n" + "".join(f"- {_md_escape(_drift_line(i))}\n" for i in items) + "\n"
    return out


def render_drift(report: DriftReport, fmt: str) -> str:
    return {"text": drift_text, "json": drift_json, "markdown": drift_markdown}[fmt](report)
