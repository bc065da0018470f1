"""One CloudTrail record to run operator tables against, and a shortcut to run a query over records."""

from __future__ import annotations

import copy
from typing import Any

from sumoctl.engine import StaticGeoProvider, run_query
from sumoctl.engine.options import DEFAULT_SEMANTICS
from sumoctl.events import Metadata

RECORD: dict[str, Any] = {
    "eventVersion": "1.08",
    "userIdentity": {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLE",
        "arn": "arn:aws:iam::111122223333:user/Alice",
        "accountId": "111122223333",
        "userName": "Alice",
        "sessionContext": {"attributes": {"mfaAuthenticated": "false"}},
    },
    "eventTime": "2024-05-14T03:05:11Z",
    "eventSource": "iam.amazonaws.com",
    "eventName": "CreateUser",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "92.55.146.245",
    "userAgent": "aws-cli/2.15.30",
    "requestParameters": {"userName": "bob", "tags": [{"key": "team", "value": "red"}, {"key": "env", "value": "dev"}]},
    "responseElements": None,
    "additionalEventData": {"MFAUsed": "No", "count": 3, "ratio": 1.5, "flag": True},
    "readOnly": False,
    "recipientAccountId": "111122223333",
}

GEO = StaticGeoProvider({"92.55.146.245": {"country_code": "RO", "country_name": "Romania"}})
META = Metadata(source_category="aws/cloudtrail")


def record(**changes) -> dict[str, Any]:
    out = copy.deepcopy(RECORD)
    for key, value in changes.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def rows(query: str, records=None, semantics=DEFAULT_SEMANTICS, prefilter=True) -> list[dict[str, Any]]:
    return run_query(query, records if records is not None else [RECORD], META, semantics, GEO, prefilter=prefilter)


def one(query: str, field: str, records=None, **kw):
    """The value of `field` in the single result row (None when no row came out)."""
    result = rows(query, records, **kw)
    assert len(result) <= 1, result
    return result[0].get(field) if result else "<no row>"
