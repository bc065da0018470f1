"""The checked-in table of what the pack finds in the public CloudTrail files is current and fully justified."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.pack.conftest import REPO, SHARED

pytestmark = pytest.mark.skipif(not (SHARED / "data" / "cloudtrail").is_dir(), reason="needs ../shared/data (the CI checkout has it)")


@pytest.fixture(scope="module")
def pack_hits():
    spec = importlib.util.spec_from_file_location("pack_hits", REPO / "scripts" / "pack_hits.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["pack_hits"] = module  # dataclasses look their module up while the script loads
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("pack_hits", None)


@pytest.fixture(scope="module")
def hits(pack_hits):
    return pack_hits.collect("example")


@pytest.fixture(scope="module")
def report(pack_hits, hits):
    return pack_hits.report(hits)


def test_every_hit_is_justified_and_every_justified_hit_still_fires(report):
    _, problems = report
    assert problems == []


def test_checked_in_table_is_regenerated_output(report):
    text, _ = report
    assert (REPO / "docs" / "pack-hits.md").read_text() == text


def test_replay_units_split_stratus_by_detonation_and_panther_by_scenario(pack_hits):
    units = {label: len(records) for _, label, records in pack_hits.replay_units()}
    assert sum(n for label, n in units.items() if label.startswith("stratus")) == 310
    assert len([label for label in units if label.startswith("stratus")]) == 35
    assert units["panther_test_scenarios / compromised-root-creds"] == 16
    assert units["panther_test_scenarios / enrichment-example"] == 11
    assert units["otrf_ec2_proxy_s3_exfiltration"] == 103


def test_an_unjustified_hit_is_reported_and_marked(pack_hits, hits, monkeypatch):
    key = ("cloudtrail-ami-shared", "stratus_red_team_detonations / aws.exfiltration.ec2-share-ami")
    monkeypatch.delitem(pack_hits.JUSTIFIED, key)
    text, problems = pack_hits.report(hits)
    assert len(problems) == 1 and problems[0].startswith(f"unjustified hit: {key[0]} on {key[1]}: ")
    assert "grantee=846424999548" in problems[0]
    assert f"| `{key[0]}` | {key[1]} | 1 |" in text and "**UNJUSTIFIED**" in text


def test_a_justified_hit_that_stops_firing_is_reported(pack_hits, hits, monkeypatch):
    key = ("cloudtrail-kms-key-disabled-or-deleted", "awsdocs_cloudtrail_user_guide_examples")
    monkeypatch.setitem(pack_hits.JUSTIFIED, key, (pack_hits.TP, "RotateKey is not a deletion"))
    _, problems = pack_hits.report(hits)
    assert problems == [f"justified but no longer fires: {key[0]} on {key[1]}"]
