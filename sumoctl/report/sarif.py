"""SARIF 2.1.0 for `sumoctl validate`, so code-scanning UIs annotate the pull request at the right line."""

from __future__ import annotations

from typing import Any

from sumoctl import __version__

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
ERROR_RULE = "SUMOCTL-ERROR"


def validation_sarif(report) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {
        ERROR_RULE: {
            "id": ERROR_RULE,
            "name": "InvalidDetection",
            "shortDescription": {"text": "The detection or environment cannot be loaded, rendered or parsed."},
            "defaultConfiguration": {"level": "error"},
        }
    }
    results = []
    for problem in [*report.errors, *report.findings]:
        rule = problem.rule or ERROR_RULE
        rules.setdefault(
            rule,
            {"id": rule, "shortDescription": {"text": f"sumoctl lint rule {rule}"}, "defaultConfiguration": {"level": "warning"}},
        )
        region: dict[str, int] = {}
        if problem.line:
            region["startLine"] = problem.line
            if problem.column:
                region["startColumn"] = problem.column
        location: dict[str, Any] = {"artifactLocation": {"uri": problem.path or "."}}
        if region:
            location["region"] = region
        results.append(
            {
                "ruleId": rule,
                "level": "error" if problem.rule is None else "warning",
                "message": {"text": problem.message},
                "locations": [{"physicalLocation": location}],
                "properties": {k: v for k, v in (("detection", problem.detection), ("environment", problem.environment)) if v},
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sumoctl",
                        "version": __version__,
                        "informationUri": "https://github.com/sumoctl/sumoctl",
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
            }
        ],
    }
