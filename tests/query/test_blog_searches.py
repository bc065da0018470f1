"""The four searches of the original blog post parse into dedicated nodes (no GenericStage)."""

from __future__ import annotations

import re

import pytest

from sumoctl.query import ast as a
from sumoctl.query import lint, parse

from .conftest import BLOG


def blog_searches() -> list[str]:
    text = BLOG.read_text(encoding="utf-8")
    blocks = re.findall(r"```\n(.*?)```", text, re.DOTALL)
    return [b.replace("{{sourceCategory}}", "aws/cloudtrail") for b in blocks]


EXPECTED_STAGES = [
    [a.ParseRegex, a.Json, a.Lookup, a.Where, a.Aggregate],
    [a.ParseRegex, a.Json, a.Where, a.Timeslice, a.Aggregate, a.Where],
    [a.ParseRegex, a.Json, a.Where],
    [a.ParseRegex, a.Json, a.Where],
]


def test_there_are_four_searches():
    assert len(blog_searches()) == 4


@pytest.mark.parametrize("index", range(4))
def test_search_parses_into_dedicated_nodes(index):
    query = parse(blog_searches()[index])
    assert query.scope == a.FieldMatch("_sourceCategory", "=", "aws/cloudtrail")
    assert [type(s) for s in query.stages] == EXPECTED_STAGES[index]
    assert query.stages[0] == a.ParseRegex(("(?<raw>{.*)",))
    json_stage = query.stages[1]
    assert json_stage.field == "raw" and json_stage.nodrop
    assert len(json_stage.paths) == len(json_stage.aliases)
    assert parse(query.to_sumo()) == query


def test_suspicious_logins_lookup_and_filter():
    q = parse(blog_searches()[0])
    lookup, where = q.stages[2], q.stages[3]
    assert lookup == a.Lookup((a.LookupField("country_code"),), "geo://location", (a.LookupOn("ip", "src_ip"),))
    assert where.condition.right == a.InList(a.FieldRef("country_code"), (a.StringLit("US"),), negated=True)
    assert q.stages[1].paths[-1].segments == (a.JsonKey("additionalEventData"), a.JsonKey("MFAUsed"))


def test_account_discovery_aggregate():
    agg = parse(blog_searches()[1]).stages[4]
    assert [(c.function, c.alias) for c in agg.calls] == [
        ("count", "failures"), ("count_distinct", "methods"), ("count_distinct", "sources")]
    assert agg.by == ("_timeslice", "user_type", "user_name", "event_source", "error_msg", "src_ip")


def test_only_account_discovery_is_flagged_and_for_count_distinct_of_a_by_field():
    findings = [lint(parse(text), text) for text in blog_searches()]
    assert findings[0] == findings[2] == findings[3] == []
    assert [(f.rule, f.line) for f in findings[1]] == [("SUMO001", 8)]
    assert "count_distinct(event_source)" in findings[1][0].message
