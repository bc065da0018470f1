"""A detections repository to sync in tests, and Sumo's rewriting of what it stores, without HTTP."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

from sumoctl.sync.desired import DesiredState, connection_ref
from sumoctl.sync.markers import Marker
from sumoctl.sync.objects import Kind
from sumoctl.sync.remote import Folder, RemoteState, add, remote_connection, remote_log_search, remote_monitor

# The six original blog detections, frozen here so that sync tests do not move with the shipped detection pack.
FIXTURE_REPO = Path(__file__).resolve().parent / "fixtures" / "repo"

TEST_ENVIRONMENT = """\
description: The org the sync tests use.
endpoint: http://127.0.0.1:9/api/
credentials: {access_id_env: TEST_SUMO_ACCESS_ID, access_key_env: TEST_SUMO_ACCESS_KEY}
monitor_folder: /Monitor/Security/sumoctl-test
content_folder: sumoctl-test
params:
  source_category: aws/cloudtrail/test
  allowed_countries: ["US", "CA"]
connections:
  - name: secops-slack
    type: Slack
    url_env: TEST_SLACK_URL
    default_payload: payloads/slack.json.j2
  - name: secops-pagerduty
    type: PagerDuty
    url_env: TEST_PAGERDUTY_URL
    headers:
      - {name: Authorization, value_env: TEST_PAGERDUTY_TOKEN}
    default_payload: payloads/slack.json.j2
overrides:
  cloudtrail-defense-evasion:
    severity: medium
"""

ENVIRON = {
    "TEST_SUMO_ACCESS_ID": "suTESTID",
    "TEST_SUMO_ACCESS_KEY": "test-access-key-0123456789",
    "TEST_SLACK_URL": "https://hooks.slack.example/services/T000/B000/XYZSECRETSLACK",
    "TEST_PAGERDUTY_URL": "https://events.pagerduty.example/v2/enqueue",
    "TEST_PAGERDUTY_TOKEN": "Token token=PDSECRETTOKEN",
}
SECRET_VALUES = ("XYZSECRETSLACK", "PDSECRETTOKEN", "test-access-key-0123456789", "events.pagerduty.example")


def make_repo(tmp_path: Path) -> Path:
    """A copy of the fixture repository with a `test` environment, safe to edit."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE_REPO, root)
    (root / "environments").mkdir(exist_ok=True)
    (root / "environments" / "test.yaml").write_text(TEST_ENVIRONMENT, encoding="utf-8")
    return root


class FakeIds:
    def __init__(self) -> None:
        self.n = 0x100

    def __call__(self) -> str:
        self.n += 1
        return f"{self.n:016X}"


def _rewrite_duration(value: str) -> str:
    """What Sumo does to a duration: the largest whole unit, and a sign flipped on trigger ranges."""
    sign = "-" if value.startswith("-") else ""
    body = value.lstrip("-")
    n, unit = int(body[:-1]), body[-1]
    seconds = n * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    for u, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds % size == 0:
            return f"{sign}{seconds // size}{u}"
    return value


def _reformat_payload(payload: str | None) -> str | None:
    """Sumo re-serialises JSON payloads: here, with other blanks around the same tokens."""
    if payload is None:
        return None
    return payload.replace('": ', '" :  ').replace('{"', '{\n  "').replace('"}', '"\n}')


def stored_as_sumo_would(desired: DesiredState, ids: FakeIds | None = None) -> RemoteState:
    """The remote state right after sumoctl applied `desired`, with the rewrites the server makes: durations
    canonicalised and unsigned, triggers reversed, defaults filled, header values masked, payloads re-serialised."""
    ids = ids or FakeIds()
    env = desired.name
    state = RemoteState(env, Folder(desired.environment.monitor_folder, id=ids()),
                        Folder(desired.environment.content_folder, id=ids()))
    refs: dict[str, str] = {}
    for obj in desired.of_kind(Kind.CONNECTION):
        body = copy.deepcopy(obj.body)
        body.update(id=ids(), type="WebhookConnection", createdAt="2026-01-01T00:00:00Z")
        body["description"] = Marker(env, obj.key, obj.state.encode()).describe(body["description"], 1024)
        body["headers"] = [{"name": h["name"], "value": "********"} for h in body["headers"]]
        body["defaultPayload"] = _reformat_payload(body["defaultPayload"])
        refs[connection_ref(obj.key)] = body["id"]
        add(state, remote_connection(body, env))

    def resolve(value):
        return json.loads(json.dumps(value), object_hook=lambda d: {k: refs.get(v, v) if isinstance(v, str) else v
                                                                      for k, v in d.items()})

    for obj in desired.of_kind(Kind.MONITOR):
        body = resolve(obj.body)
        body.update(id=ids(), version=3, createdAt="2026-01-01T00:00:00Z", status=["Normal"], automatedPlaybookIds=[],
                    type="MonitorsLibraryMonitorResponse", tags=Marker(env, obj.key, obj.state.encode()).tags())
        body["evaluationDelay"] = _rewrite_duration(body["evaluationDelay"])
        for trigger in body["triggers"]:
            trigger["timeRange"] = _rewrite_duration(trigger["timeRange"]).lstrip("-")
            trigger["frequency"] = _rewrite_duration(trigger["frequency"])
            trigger.pop("resolutionWindow", None)  # the server's default: the trigger's own range
        body["triggers"].reverse()
        for n in body["notifications"]:
            n["notification"]["payloadOverride"] = _reformat_payload(n["notification"]["payloadOverride"])
            n["runForTriggerTypes"].reverse()
        add(state, remote_monitor(body, env, state.connection_names, state.monitor_folder.path))
    for obj in desired.of_kind(Kind.LOG_SEARCH):
        body = resolve(obj.body)
        body.update(id=ids(), parentId=state.content_folder.id, createdAt="2026-01-01T00:00:00Z",
                    intervalTimeType="messageTime")
        body["description"] = Marker(env, obj.key, obj.state.encode()).describe(body["description"], 255)
        body["schedule"]["notification"]["payload"] = _reformat_payload(body["schedule"]["notification"]["payload"])
        add(state, remote_log_search(body, env, state.connection_names, state.content_folder.path))
    return state
