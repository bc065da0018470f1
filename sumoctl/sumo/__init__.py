"""`sumoctl.sumo`: the Sumo Logic REST client (deployments, auth, throttling, retries, paging, typed errors)."""

from sumoctl.sumo.client import ClientStats, SumoClient
from sumoctl.sumo.credentials import Credentials, credentials_from_env
from sumoctl.sumo.endpoints import ENDPOINT_ENV, Deployment, check_endpoint, resolve_endpoint
from sumoctl.sumo.errors import SumoApiError, SumoConnectionError
from sumoctl.sumo.models import (
    ContentFolder, LogSearch, MonitorsLibraryFolder, MonitorsLibraryMonitor, SearchJobState, SearchJobStatus,
    WebhookConnection, WebhookDefinition,
)
from sumoctl.sumo.retry import Backoff
from sumoctl.sumo.search_jobs import SearchQueryError, SearchResult, run_search
from sumoctl.sumo.timerange import parse_time

__all__ = [
    "Backoff", "ClientStats", "ContentFolder", "Credentials", "Deployment", "ENDPOINT_ENV", "LogSearch",
    "MonitorsLibraryFolder", "MonitorsLibraryMonitor", "SearchJobState", "SearchJobStatus", "SumoApiError",
    "SearchQueryError", "SearchResult", "SumoClient", "SumoConnectionError", "WebhookConnection", "WebhookDefinition", "check_endpoint",
    "credentials_from_env", "parse_time", "resolve_endpoint", "run_search",
]
