"""Which MITRE ATT&CK techniques and tactics the enabled detections cover, and the same as a Navigator layer.

A detection covers the techniques it is tagged with. The tactics it covers are its tactic tags (TA0005) when it has
any, because a technique such as T1078.004 spans four tactics and a root-usage detection should not claim all four;
a detection without tactic tags covers every tactic of its techniques.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from sumoctl import __version__
from sumoctl.attack import ATTACK_VERSION, TACTIC_BY_SHORTNAME, TACTICS, TECHNIQUES, Technique
from sumoctl.models import Detection
from sumoctl.project import Project

NAVIGATOR_VERSION = "5.1.0"
LAYER_VERSION = "4.5"
# Navigator gradient from "one detection" (pale) to "most detections" (deep green).
GRADIENT = ["#d9f0d3", "#1b7837"]


@dataclass
class CoveredTechnique:
    id: str
    name: str
    tactics: list[str]           # tactic ids this technique is counted under
    detections: list[str]        # detection ids, sorted
    known: bool = True


@dataclass
class CoveredTactic:
    id: str
    shortname: str
    name: str
    techniques: list[str] = field(default_factory=list)
    detections: list[str] = field(default_factory=list)


@dataclass
class Coverage:
    environment: str | None
    enabled: list[Detection]
    disabled: list[str]
    techniques: dict[str, CoveredTechnique]
    tactics: dict[str, CoveredTactic]   # every ATT&CK tactic, covered or not, in matrix order

    @property
    def unknown_techniques(self) -> list[str]:
        return sorted(t for t, c in self.techniques.items() if not c.known)

    @property
    def uncovered_tactics(self) -> list[CoveredTactic]:
        return [t for t in self.tactics.values() if not t.detections]

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "attack_version": ATTACK_VERSION,
            "enabled_detections": len(self.enabled),
            "disabled_detections": self.disabled,
            "tactics": [
                {"id": t.id, "shortname": t.shortname, "name": t.name, "techniques": t.techniques, "detections": t.detections}
                for t in self.tactics.values()
            ],
            "techniques": [
                {"id": t.id, "name": t.name, "tactics": t.tactics, "detections": t.detections, "known": t.known}
                for t in sorted(self.techniques.values(), key=lambda t: t.id)
            ],
            "unknown_techniques": self.unknown_techniques,
        }


def detection_tactics(detection: Detection) -> set[str]:
    """The tactic ids a detection covers (see the module docstring)."""
    if detection.tactics:
        return set(detection.tactics)
    found: set[str] = set()
    for technique_id in detection.techniques:
        known = TECHNIQUES.get(technique_id)
        if known:
            found.update(TACTIC_BY_SHORTNAME[s].id for s in known.tactics)
    return found


def _technique_tactics(technique: Technique | None, tactic_ids: set[str]) -> list[str]:
    """The tactics a technique is counted under for one detection: the detection's tactics the technique belongs to."""
    if technique is None:
        return sorted(tactic_ids)
    own = {TACTIC_BY_SHORTNAME[s].id for s in technique.tactics}
    return sorted(own & tactic_ids) or sorted(own)


def is_enabled(project: Project, detection: Detection, environment: str | None) -> bool:
    """Whether the detection deploys: its own `enabled`, or the environment's override when one is given."""
    if environment is None:
        return detection.enabled
    override = project.environment(environment).overrides.get(detection.id)
    return detection.enabled if override is None or override.enabled is None else override.enabled


def compute_coverage(project: Project, environment: str | None = None) -> Coverage:
    enabled: list[Detection] = []
    disabled: list[str] = []
    for detection_id in sorted(project.detections):
        detection = project.detections[detection_id]
        if is_enabled(project, detection, environment):
            enabled.append(detection)
        else:
            disabled.append(detection_id)

    techniques: dict[str, CoveredTechnique] = {}
    tactics = {t.id: CoveredTactic(t.id, t.shortname, t.name) for t in TACTICS.values()}
    for detection in enabled:
        tactic_ids = detection_tactics(detection)
        for technique_id in detection.techniques:
            known = TECHNIQUES.get(technique_id)
            entry = techniques.setdefault(
                technique_id,
                CoveredTechnique(technique_id, known.name if known else "(unknown technique)", [], [], known is not None),
            )
            entry.detections.append(detection.id)
            for tactic_id in _technique_tactics(known, tactic_ids):
                if tactic_id not in entry.tactics:
                    entry.tactics.append(tactic_id)
                if tactic_id in tactics and technique_id not in tactics[tactic_id].techniques:
                    tactics[tactic_id].techniques.append(technique_id)
        for tactic_id in tactic_ids:
            if tactic_id in tactics:
                tactics[tactic_id].detections.append(detection.id)
    for entry in techniques.values():
        entry.detections.sort()
        entry.tactics.sort(key=list(TACTICS).index)
    for tactic in tactics.values():
        tactic.techniques.sort()
        tactic.detections.sort()
    return Coverage(environment, enabled, disabled, techniques, tactics)


# --- ATT&CK Navigator layer -----------------------------------------------------------------------------------------


def navigator_layer(coverage: Coverage, name: str = "sumoctl detection coverage") -> dict[str, Any]:
    """A Navigator layer (format 4.5): one entry per covered technique and tactic, scored by detection count."""
    by_id = {d.id: d for d in coverage.enabled}
    entries = []
    parents_with_children = {t.split(".")[0] for t in coverage.techniques if "." in t}
    for technique_id in sorted(coverage.techniques):
        covered = coverage.techniques[technique_id]
        known = TECHNIQUES.get(technique_id)
        metadata = [{"name": d, "value": f"{by_id[d].name} ({by_id[d].severity})"} for d in covered.detections]
        base: dict[str, Any] = {
            "techniqueID": technique_id,
            "score": len(covered.detections),
            "comment": "Detected by: " + ", ".join(covered.detections),
            "enabled": True,
            "metadata": metadata,
        }
        if known:
            base["links"] = [{"label": f"ATT&CK {technique_id}", "url": known.url}]
        if technique_id in parents_with_children:
            base["showSubtechniques"] = True
        for tactic_id in covered.tactics:
            entries.append({**base, "tactic": TACTICS[tactic_id].shortname})
        if not covered.tactics:
            entries.append(base)
    top = max((len(c.detections) for c in coverage.techniques.values()), default=1)
    description = f"Techniques covered by the enabled sumoctl detections ({len(coverage.enabled)})"
    if coverage.environment:
        description += f" in environment {coverage.environment}"
    return {
        "name": name,
        "versions": {"attack": ATTACK_VERSION, "navigator": NAVIGATOR_VERSION, "layer": LAYER_VERSION},
        "domain": "enterprise-attack",
        "description": description + ". Score: number of detections.",
        "sorting": 3,
        "layout": {"layout": "side", "showID": True, "showName": True, "expandedSubtechniques": "annotated"},
        "hideDisabled": False,
        "techniques": entries,
        "gradient": {"colors": GRADIENT, "minValue": 0, "maxValue": max(top, 1)},
        "legendItems": [{"label": "covered by at least one detection", "color": GRADIENT[1]}],
        "metadata": [{"name": "generator", "value": f"sumoctl {__version__}"}],
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
    }


@lru_cache(maxsize=1)
def navigator_layer_schema() -> dict[str, Any]:
    """JSON Schema of the Navigator layer format 4.5, written from the format's published definition."""
    return json.loads(resources.files("sumoctl").joinpath("navigator_layer.schema.json").read_text(encoding="utf-8"))


def validate_layer(layer: Any) -> list[str]:
    """Every way `layer` breaks the Navigator layer format, as `path: message` lines (empty when valid)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(navigator_layer_schema())
    problems = []
    for error in sorted(validator.iter_errors(layer), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(layer)"
        problems.append(f"{where}: {error.message}")
    gradient = layer.get("gradient") if isinstance(layer, dict) else None
    if isinstance(gradient, dict):
        low, high = gradient.get("minValue"), gradient.get("maxValue")
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and not high > low:
            problems.append("gradient: maxValue must be greater than minValue")
    return problems
