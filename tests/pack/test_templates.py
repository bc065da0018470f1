"""The pack's templates render cleanly in every environment, and allow-lists render only when set."""

from __future__ import annotations

import re

import pytest

ALLOW_LISTS = ("allowed_principals", "trusted_accounts", "allowed_share_accounts", "allowed_open_ports")


def test_every_pack_detection_renders_in_every_environment_without_blank_lines(project, pack):
    for detection_id in pack:
        for env in project.environments:
            query = project.render(detection_id, env).query
            assert "\n\n" not in query, f"{detection_id} in {env}"
            assert query.startswith(f'_sourceCategory="{project.environments[env].params["source_category"]}"')
            assert "not in ()" not in query


@pytest.mark.parametrize("param", ALLOW_LISTS)
def test_an_allow_list_adds_exactly_one_filter_and_only_when_set(project, pack, param):
    users = [d for d in pack.values() if param in d.params]
    assert users, param
    for detection in users:
        empty = project.render(detection.id, "example", {param: []}).query
        listed = project.render(detection.id, "example", {param: ["a\"b", "c"]}).query
        added = [line for line in listed.splitlines() if line not in empty.splitlines()]
        assert len(added) == 1, detection.id
        assert re.fullmatch(r'\| where isBlank\((\w+)\) or \1 not in \("a\\"b", "c"\)', added[0]), added[0]


def test_every_pack_row_names_the_account(project, pack):
    # Organizations trails mix accounts: every pack query keeps recipientAccountId (as account_id or role_account).
    for detection_id in pack:
        query = project.render(detection_id, "example").query
        last = query.strip().splitlines()[-1]
        if last.startswith("| where"):  # a threshold after the aggregation
            last = query.strip().splitlines()[-2]
        assert "account_id" in last or "role_account" in last, detection_id


def test_a_per_account_allow_list_filters_only_its_account(project):
    query = project.render(
        "cloudtrail-ebs-snapshot-shared", "example",
        {"allowed_share_accounts": {"*": ["999999999999"], 111122223333: ["444455556666"], "222233334444": []}},
    ).query
    wheres = [line for line in query.splitlines() if line.startswith("| where isBlank(grantee)")]
    assert wheres == [
        '| where isBlank(grantee) or grantee not in ("999999999999")',
        '| where isBlank(grantee) or isBlank(account_id) or account_id != "111122223333" or grantee not in ("444455556666")',
    ]
