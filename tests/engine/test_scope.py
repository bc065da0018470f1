"""The keyword expression before the first pipe: terms, phrases, wildcards, metadata globs, boolean logic."""

import pytest

from sumoctl.engine import run_query
from sumoctl.events import Metadata
from tests.engine.helpers import RECORD

META = Metadata(source_category="aws/cloudtrail/prod", source="aws-cloudtrail", collector="sumoctl")


@pytest.mark.parametrize(
    "scope, matches",
    [
        ("CreateUser", True),
        ("createuser", True),               # case-insensitive
        ("Create", False),                  # whole terms only
        ("Create*", True),
        ("*eateUser", True),
        ("Creat?User", True),
        ("Alice", True),
        ("Ali", False),
        ("iam.amazonaws.com", True),        # punctuation: a phrase of adjacent terms
        ('"\\"eventsource\\":\\"iam.amazonaws.com\\""', True),  # quoted phrase, case-insensitive
        ('"\\"eventsource\\":\\"rds.amazonaws.com\\""', False),
        ("92.55.146.245", True),
        ("55.146", True),                   # dots are term boundaries
        ("5.146", False),
        ("CreateUser Alice", True),         # implicit AND
        ("CreateUser AND Carol", False),
        ("CreateUser OR Bob", True),
        ("CreateUser and bob", True),       # bob is requestParameters.userName
        ("NOT errorCode", True),
        ("!CreateUser", False),
        ("(DeleteUser or CreateUser) Alice", True),
        ("_sourceCategory=aws/cloudtrail/prod", True),
        ("_sourceCategory=AWS/CloudTrail/*", True),
        ("_sourceCategory=aws/cloudtrail", False),  # whole-value glob
        ("_sourceCategory=*cloudtrail*", True),
        ("_sourceCategory!=aws/cloudtrail/prod", False),
        ("_collector=sumoctl _source=aws-cloudtrail", True),
        ("_sourceCategory=aws/* CreateUser", True),
        ("account=*", True),                # a dashboard placeholder's default matches everything
    ],
)
def test_scope(scope, matches):
    assert (len(run_query(scope, [RECORD], META)) == 1) is matches


def test_underscore_is_part_of_a_term():
    record = dict(RECORD, eventName="foo_bar", eventSource="foo-bar")
    assert len(run_query("foo_bar", [record], META)) == 1
    only_underscore = dict(RECORD, eventName="foo_bar", eventSource="x")
    assert run_query("foo", [only_underscore], META) == []
    assert len(run_query("foo", [record], META)) == 1  # foo-bar splits at the dash
