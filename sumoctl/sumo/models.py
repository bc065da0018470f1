"""Typed models of the Sumo objects the client builds or reads. Field names are the wire's camelCase;
`extra="allow"` keeps every field the server adds that we do not model, so nothing is lost on a round trip."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class SumoModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def to_body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def to_body(body: SumoModel | dict[str, Any]) -> dict[str, Any]:
    """The JSON dict to send, from a model or a dict."""
    return body.to_body() if isinstance(body, SumoModel) else dict(body)


# -- monitors (sumo-api.md §2) ------------------------------------------------------------------------

class MonitorQuery(SumoModel):
    rowId: str
    query: str


class TriggerCondition(SumoModel):
    detectionMethod: str = "LogsStaticCondition"
    triggerType: str
    timeRange: str | None = None
    threshold: float | None = None
    thresholdType: str | None = None
    field: str | None = None
    frequency: str | None = None
    resolutionWindow: str | None = None


class MonitorNotification(SumoModel):
    notification: dict[str, Any]
    runForTriggerTypes: list[str]


class MonitorsLibraryMonitor(SumoModel):
    type: Literal["MonitorsLibraryMonitor", "MonitorsLibraryMonitorUpdate"] = "MonitorsLibraryMonitor"
    name: str
    description: str | None = None
    monitorType: Literal["Logs", "Metrics", "Slo"] = "Logs"
    queries: list[MonitorQuery]
    triggers: list[TriggerCondition]
    notifications: list[MonitorNotification] | None = None
    evaluationDelay: str | None = None
    isDisabled: bool | None = None
    groupNotifications: bool | None = None
    notificationGroupFields: list[str] | None = None
    alertName: str | None = None
    timeZone: str | None = None
    playbook: str | None = None
    tags: dict[str, str] | None = None  # served by Sumo, absent from the OpenAPI spec
    # read-only, present on responses
    id: str | None = None
    version: int | None = None
    parentId: str | None = None


class MonitorsLibraryFolder(SumoModel):
    type: Literal["MonitorsLibraryFolder", "MonitorsLibraryFolderUpdate"] = "MonitorsLibraryFolder"
    name: str
    description: str | None = None
    id: str | None = None
    version: int | None = None
    parentId: str | None = None
    children: list[dict[str, Any]] | None = None


# -- connections (§4) ---------------------------------------------------------------------------------

class WebhookHeader(SumoModel):
    name: str
    value: str


class WebhookDefinition(SumoModel):
    """What we send. The server answers with a `WebhookConnection` (headers' values masked)."""

    type: Literal["WebhookDefinition"] = "WebhookDefinition"
    name: str = Field(min_length=1, max_length=127)
    description: str = ""
    url: str
    headers: list[WebhookHeader] | None = None
    customHeaders: list[WebhookHeader] | None = None
    defaultPayload: str = Field(min_length=1)
    resolutionPayload: str | None = None
    webhookType: str = "Webhook"
    connectionSubtype: str | None = None

    def __repr_args__(self):
        for name, value in super().__repr_args__():
            if name in ("url", "headers"):
                value = "(sensitive)"
            yield name, value


class WebhookConnection(SumoModel):
    type: Literal["WebhookConnection"] = "WebhookConnection"
    id: str
    name: str
    url: str | None = None
    headers: list[WebhookHeader] | None = None

    def __repr_args__(self):
        for name, value in super().__repr_args__():
            if name in ("url", "headers"):
                value = "(sensitive)"
            yield name, value


# -- log searches (§3.1) ------------------------------------------------------------------------------

LOG_SEARCH_NAME_PATTERN = r"^[a-zA-Z0-9 +%-@.,_()\\]+$"


class LogSearch(SumoModel):
    name: str = Field(min_length=1, max_length=255, pattern=LOG_SEARCH_NAME_PATTERN)
    description: str | None = Field(default=None, max_length=255)
    queryString: str = Field(max_length=15000)
    timeRange: dict[str, Any]
    parentId: str | None = None
    runByReceiptTime: bool | None = None
    parsingMode: str | None = None
    schedule: dict[str, Any] | None = None
    id: str | None = None


# -- content folders (§3.2) ---------------------------------------------------------------------------

class ContentFolder(SumoModel):
    id: str
    name: str
    parentId: str | None = None
    itemType: str = "Folder"
    children: list[dict[str, Any]] = []


# -- search jobs (§5) ---------------------------------------------------------------------------------

class SearchJobState(StrEnum):
    NOT_STARTED = "NOT STARTED"
    GATHERING_RESULTS = "GATHERING RESULTS"
    FORCE_PAUSED = "FORCE PAUSED"
    DONE_GATHERING_RESULTS = "DONE GATHERING RESULTS"
    CANCELLED = "CANCELLED"


class SearchJobStatus(SumoModel):
    state: str
    messageCount: int = 0
    recordCount: int = 0
    pendingErrors: list[str] = []
    pendingWarnings: list[str] = []
    histogramBuckets: list[dict[str, Any]] = []

    @property
    def finished(self) -> bool:
        """No more results will come: done, paused at the message cap, or cancelled."""
        return self.state in (SearchJobState.DONE_GATHERING_RESULTS, SearchJobState.FORCE_PAUSED,
                              SearchJobState.CANCELLED)
