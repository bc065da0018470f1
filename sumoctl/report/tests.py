"""Renderings of detection test results: text for a terminal, JSON for tools, JUnit XML for CI."""

from __future__ import annotations

import json
from typing import Any

from junitparser import Error, Failure, JUnitXml, TestCase, TestSuite

from sumoctl.engine.values import display


def _row_text(rows: list[dict[str, Any]]) -> str:
    return json.dumps([{k: display(v) for k, v in r.items() if not k.startswith("_") or k in ("_count", "_timeslice")} for r in rows[:5]], ensure_ascii=False)


def render_text(run) -> str:
    lines = []
    for r in run.results:
        mark = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}[r.status]
        detail = f" ({r.events} event(s), {len(r.rows)} row(s))" if r.case != "min-cases" else ""
        lines.append(f"{mark:5} {r.detection} :: {r.case} [{r.env}]{detail}")
        for message in r.messages:
            lines.append(f"      {r.location}: {message}" if r.location else f"      {message}")
        if r.status == "fail" and r.rows:
            lines.append(f"      rows: {_row_text(r.rows)}")
    passed = sum(1 for r in run.results if r.status == "pass")
    lines.append(f"{passed} passed, {len(run.failed)} failed, {len(run.errors)} errors")
    return "\n".join(lines) + "\n"


def render_json(run) -> str:
    payload = {
        "summary": {
            "passed": sum(1 for r in run.results if r.status == "pass"),
            "failed": len(run.failed),
            "errors": len(run.errors),
        },
        "results": [
            {
                "detection": r.detection,
                "case": r.case,
                "env": r.env,
                "status": r.status,
                "messages": r.messages,
                "location": r.location,
                "events": r.events,
                "rows": [{k: display(v) for k, v in row.items()} for row in r.rows],
                "seconds": round(r.seconds, 4),
            }
            for r in run.results
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def render_junit(run) -> str:
    """One <testsuite> per detection, one <testcase> per case; failures and errors carry the messages."""
    xml = JUnitXml(name="sumoctl test")
    suites: dict[str, TestSuite] = {}
    for r in run.results:
        suite = suites.get(r.detection)
        if suite is None:
            suite = suites[r.detection] = TestSuite(r.detection)
            xml.add_testsuite(suite)
        case = TestCase(f"{r.case} [{r.env}]", classname=f"sumoctl.{r.detection}", time=round(r.seconds, 4))
        text = "\n".join(f"{r.location}: {m}" if r.location else m for m in r.messages)
        if r.status == "fail":
            case.result = [Failure(r.messages[0] if r.messages else "failed", "AssertionError")]
            case.result[0].text = text
        elif r.status == "error":
            case.result = [Error(r.messages[0] if r.messages else "error", "SumoctlError")]
            case.result[0].text = text
        suite.add_testcase(case)
    for suite in suites.values():
        suite.update_statistics()
    xml.update_statistics()
    return xml.tostring().decode("utf-8") if isinstance(xml.tostring(), bytes) else str(xml.tostring())


RENDERERS = {"text": render_text, "json": render_json, "junit": render_junit}
