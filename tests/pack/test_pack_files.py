"""The detection pack's files: every detection is tested both ways, on events that exist and are documented."""

from __future__ import annotations

import json

import pytest

from tests.pack.conftest import PACK_EVENTS, REPO, SHARED

EVENTS = REPO / "tests" / "events"


def _fires(case) -> bool | None:
    if case.expect.fires is not None:
        return case.expect.fires
    if case.expect.count is not None:
        return case.expect.count > 0
    return True if case.expect.rows else None


def test_the_pack_has_at_least_24_detections(pack):
    assert len(pack) >= 24


def test_every_pack_detection_has_a_firing_and_a_silent_case(pack):
    for detection in pack.values():
        outcomes = {_fires(case) for case in detection.tests}
        assert {True, False} <= outcomes, detection.id


def test_every_pack_detection_names_a_technique_a_tactic_and_a_blog_area(pack):
    for detection in pack.values():
        assert detection.techniques and detection.tactics, detection.id
        assert {"access", "movement", "storage"} & set(detection.tags), detection.id
        assert "Triage:" in detection.description, detection.id


def test_test_events_exist_and_lines_are_in_range(pack):
    for detection in pack.values():
        for case in detection.tests:
            for source in case.events:
                if source.file is None:
                    continue
                path = EVENTS / source.file
                assert path.is_file(), f"{detection.id}: {source.file}"
                count = sum(1 for _ in path.open())
                for line in source.lines or []:
                    assert 1 <= line <= count, f"{detection.id} / {case.name}: line {line} of {source.file}"


@pytest.mark.parametrize("path", sorted((PACK_EVENTS / "constructed").glob("*.jsonl")), ids=lambda p: p.name)
def test_constructed_records_are_cloudtrail_shaped_and_documented(path):
    readme = (PACK_EVENTS / "README.md").read_text()
    assert f"`{path.name}`" in readme
    for line in path.read_text().splitlines():
        record = json.loads(line)
        for key in ("eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "recipientAccountId"):
            assert key in record, f"{path.name}: {key}"
        assert record["eventSource"].endswith(".amazonaws.com")


@pytest.mark.skipif(not (SHARED / "data" / "cloudtrail").is_dir(), reason="needs ../shared/data (the CI checkout has it)")
@pytest.mark.parametrize("path", sorted((PACK_EVENTS / "real").glob("*.jsonl")), ids=lambda p: p.name)
def test_real_records_are_byte_for_byte_copies_of_the_shared_data(path):
    assert path.read_bytes() == (SHARED / "data" / "cloudtrail" / path.name).read_bytes()
