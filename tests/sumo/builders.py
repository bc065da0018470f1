"""Small builders of the JSON bodies the tests send."""

from __future__ import annotations


def logs_monitor(name: str, query: str = "_sourceCategory=aws/cloudtrail eventName=ConsoleLogin | count",
                 **extra) -> dict:
    return {
        "type": "MonitorsLibraryMonitor", "name": name, "monitorType": "Logs",
        "queries": [{"rowId": "A", "query": query}],
        "triggers": [
            {"detectionMethod": "LogsStaticCondition", "triggerType": "Critical", "timeRange": "-15m",
             "threshold": 0, "thresholdType": "GreaterThan"},
            {"detectionMethod": "LogsStaticCondition", "triggerType": "ResolvedCritical", "timeRange": "-15m",
             "threshold": 0, "thresholdType": "LessThanOrEqual", "resolutionWindow": "-15m"},
        ],
        **extra,
    }


def webhook(name: str, url: str = "https://hooks.example.com/services/T000/B000/XXXXsecretpath",
            token: str = "Bearer s3cr3t-t0ken-value") -> dict:
    return {"type": "WebhookDefinition", "name": name, "url": url,
            "headers": [{"name": "Authorization", "value": token}],
            "defaultPayload": '{"text": "{{Name}} {{TriggerType}}"}'}


def log_search(name: str, parent_id: str, query: str = "_sourceCategory=aws/cloudtrail | count by eventName",
               **extra) -> dict:
    return {"name": name, "parentId": parent_id, "queryString": query,
            "timeRange": {"type": "BeginBoundedTimeRange",
                          "from": {"type": "RelativeTimeRangeBoundary", "relativeTime": "-15m"}},
            **extra}
