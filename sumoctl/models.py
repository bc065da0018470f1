"""The file formats of a detections repository, as pydantic models: the single source of truth.

`monitors/*.yaml` hold one `Detection` each; `environments/*.yaml` one `Environment` each. `sumoctl schema`
exports these models as JSON Schema so editors can check and complete the YAML.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Severity = Literal["critical", "high", "medium", "low", "info"]
DEPLOYMENTS = ("us1", "us2", "eu", "au", "de", "jp", "ca", "in", "kr", "fed", "ch")
Deployment = Literal["us1", "us2", "eu", "au", "de", "jp", "ca", "in", "kr", "fed", "ch"]

# A Sumo duration: an optional sign, a number and a unit (s, m, h, d, w), e.g. `15m`, `-1h`, `1d`.
Duration = Annotated[str, Field(pattern=r"^-?\d+[smhdw]$", examples=["5m", "-15m", "1h"])]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$", max_length=100)]
EnvVarName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]

ATTACK_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")
ATTACK_TACTIC = re.compile(r"^TA\d{4}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- how a detection deploys ---------------------------------------------------------------------------------


class Trigger(_Strict):
    """When the search result raises an alert: compare the row count (or `field`) with `threshold`."""

    threshold: float = 0
    comparison: Literal["gt", "ge", "lt", "le"] = Field("gt", description="gt: >, ge: >=, lt: <, le: <=")
    field: str | None = Field(None, description="compare this result field instead of the number of rows")


class MonitorDeploy(_Strict):
    """Deploy as a Logs monitor in the environment's managed monitor folder."""

    kind: Literal["monitor"]
    frequency: Duration = Field("5m", description="how often the monitor evaluates")
    time_range: Duration = Field("15m", description="the window each evaluation searches")
    evaluation_delay: Duration = "0m"
    trigger: Trigger = Trigger()
    group_notifications: bool = True
    notification_group_fields: list[str] = []


SCHEDULE_TYPES = ("15Minutes", "1Hour", "2Hours", "4Hours", "6Hours", "8Hours", "12Hours", "1Day", "1Week", "Custom")


class ScheduledSearchDeploy(_Strict):
    """Deploy as a scheduled log search in the environment's managed content folder."""

    kind: Literal["scheduled_search"]
    schedule: Literal["15Minutes", "1Hour", "2Hours", "4Hours", "6Hours", "8Hours", "12Hours", "1Day", "1Week", "Custom"] = Field(
        "1Hour", description="Sumo's scheduleType; RealTime is deprecated by Sumo and refused"
    )
    cron: str | None = Field(None, description="Quartz cron expression; required for Custom, 1Day and 1Week")
    time_range: Duration = "-1h"
    time_zone: str = "UTC"
    trigger: Trigger = Trigger()

    @model_validator(mode="after")
    def _cron_when_needed(self) -> "ScheduledSearchDeploy":
        if self.schedule in ("Custom", "1Day", "1Week") and not self.cron:
            raise ValueError(f"schedule {self.schedule} needs a cron expression (cron:)")
        return self


Deploy = Annotated[Union[MonitorDeploy, ScheduledSearchDeploy], Field(discriminator="kind")]


class Notification(_Strict):
    """Send alerts to a connection the environment declares, with a payload rendered from a template."""

    connection: str = Field(description="name of a connection in the environment's `connections`")
    payload: str | None = Field(None, description="payload template under templates/ (uses [[ ]] delimiters)")
    resolution_payload: str | None = Field(None, description="payload template sent when the alert resolves")


# --- detection tests -----------------------------------------------------------------------------------------


class EventSource(_Strict):
    """Events for a test case: an inline CloudTrail `record`, or a `file` under tests/events/ (optionally some `lines`)."""

    record: dict[str, Any] | None = None
    file: str | None = None
    lines: list[Annotated[int, Field(ge=1)]] | None = Field(None, description="1-based line numbers of a JSONL file")

    @model_validator(mode="after")
    def _one_source(self) -> "EventSource":
        if (self.record is None) == (self.file is None):
            raise ValueError("give exactly one of `record` or `file`")
        if self.lines is not None and self.file is None:
            raise ValueError("`lines` goes with `file`")
        return self


class Expectation(_Strict):
    fires: bool | None = Field(None, description="whether the query returns at least one row")
    count: Annotated[int, Field(ge=0)] | None = Field(None, description="exact number of result rows")
    rows: list[dict[str, Any]] | None = Field(None, description="rows that must appear (listed fields compared)")

    @model_validator(mode="after")
    def _something(self) -> "Expectation":
        if self.fires is None and self.count is None and self.rows is None:
            raise ValueError("expect at least one of fires, count, rows")
        return self


class TestCase(_Strict):
    name: str
    description: str = ""
    events: list[EventSource] = Field(min_length=1)
    params: dict[str, Any] = {}
    env: str | None = Field(None, description="render for this environment instead of the one under test")
    expect: Expectation


# --- a detection ---------------------------------------------------------------------------------------------


class Detection(_Strict):
    """One detection: a query template, its parameters, how it deploys, who it notifies and how it is tested."""

    id: Slug
    name: Annotated[str, Field(min_length=1, max_length=255)]
    description: str
    severity: Severity
    tags: list[str] = Field(description="free tags; MITRE ATT&CK technique ids (T1078.004) and tactic ids (TA0005)")
    query: str = Field(description="query template, relative to queries/")
    params: dict[str, Any] = Field({}, description="default template parameters")
    deploy: Deploy
    notifications: list[Notification] = []
    enabled: bool = True
    tests: list[TestCase] = []

    @field_validator("name")
    @classmethod
    def _name_fits_sumo(cls, value: str) -> str:
        # Monitor names cannot hold the path separator or surrounding blanks.
        if "/" in value or value != value.strip():
            raise ValueError("name must not contain '/' or leading/trailing spaces")
        return value

    @field_validator("tags")
    @classmethod
    def _has_technique(cls, tags: list[str]) -> list[str]:
        if not any(ATTACK_TECHNIQUE.match(t) for t in tags):
            raise ValueError("tags must include at least one MITRE ATT&CK technique id such as T1078")
        return tags

    @property
    def techniques(self) -> list[str]:
        return [t for t in self.tags if ATTACK_TECHNIQUE.match(t)]

    @property
    def tactics(self) -> list[str]:
        return [t for t in self.tags if ATTACK_TACTIC.match(t)]


# --- an environment ------------------------------------------------------------------------------------------


class Credentials(_Strict):
    """Names of the environment variables that hold the Sumo access id and key (never the values)."""

    access_id_env: EnvVarName = "SUMO_ACCESS_ID"
    access_key_env: EnvVarName = "SUMO_ACCESS_KEY"


class SecretHeader(_Strict):
    name: str
    value_env: EnvVarName = Field(description="environment variable holding the header value")


class Connection(_Strict):
    """A webhook connection sumoctl manages; its URL and authorization headers come from environment variables."""

    name: Annotated[str, Field(min_length=1, max_length=127)]
    type: Literal["Webhook", "Slack", "PagerDuty", "MicrosoftTeams"] = "Webhook"
    description: str = ""
    url_env: EnvVarName = Field(description="environment variable holding the webhook URL")
    headers: list[SecretHeader] = Field([], description="authorization headers (Sumo masks their values)")
    default_payload: str = Field("payloads/default.json.j2", description="payload template under templates/")
    resolution_payload: str | None = None


class Override(_Strict):
    params: dict[str, Any] = {}
    severity: Severity | None = None
    enabled: bool | None = None


class Environment(_Strict):
    """One Sumo Logic org (or one part of it) that detections deploy to."""

    name: str | None = Field(None, description="defaults to the file name")
    description: str = ""
    deployment: Deployment | None = Field(None, description="Sumo deployment: " + ", ".join(DEPLOYMENTS))
    endpoint: str | None = Field(None, description="explicit API base ending in /api/ (wins over deployment)")
    credentials: Credentials = Credentials()
    monitor_folder: str = Field(pattern=r"^/Monitor(/[^/]+)+$", description="managed monitor folder, e.g. /Monitor/Security/sumoctl-prod")
    content_folder: str = Field(
        pattern=r"^[^/].*|^/Library/.+",
        description="managed content folder for scheduled searches: a /Library/... path, or a name under the personal folder",
    )
    time_zone: str = "UTC"
    params: dict[str, Any] = {}
    connections: list[Connection] = []
    overrides: dict[str, Override] = {}

    @model_validator(mode="after")
    def _where_is_sumo(self) -> "Environment":
        if not self.deployment and not self.endpoint:
            raise ValueError("give a `deployment` or an `endpoint`")
        if self.endpoint and not self.endpoint.rstrip("/").endswith("/api"):
            raise ValueError("endpoint must be the API base ending in /api/, e.g. https://api.us2.sumologic.com/api/")
        names = [c.name for c in self.connections]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate connection names: {', '.join(dupes)}")
        return self

    def connection(self, name: str) -> Connection | None:
        return next((c for c in self.connections if c.name == name), None)
