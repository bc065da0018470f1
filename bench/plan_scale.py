"""How `sumoctl plan` scales: N detections against the fake Sumo with 50 ms latency and Sumo's rate limit.

    python bench/plan_scale.py [--detections 500] [--latency 0.05]

The org is filled first (apply without throttle or latency: setting up is not what is measured), then the fake
gets its latency and rate limiter, and `plan` runs through the CLI's own session with the client's real throttle
(4 requests/s). Printed: the API calls plan made, its wall time, and the floor the rate limit sets for that many
calls. Reading costs O(folders + pages): one GET returns the monitor folder with its monitors, connections and log
searches come 100 a page; it never makes one GET per detection.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sumoctl.sumo.throttle import REQUESTS_PER_SECOND  # noqa: E402
from sumoctl.sync import SyncSession, make_plan  # noqa: E402
from tests.fakesumo import FakeSumo  # noqa: E402
from tests.fakesumo.ratelimit import RateLimiter  # noqa: E402

QUERY = """_sourceCategory={{ source_category | sumo_string }}
| json field=_raw "eventName", "userIdentity.arn" as event_name, user_arn nodrop
| where event_name = {{ event_name | sumo_string }}
| count by user_arn
"""

ENVIRONMENT = """description: plan_scale benchmark
endpoint: http://127.0.0.1:9/api/
credentials: {access_id_env: BENCH_ACCESS_ID, access_key_env: BENCH_ACCESS_KEY}
monitor_folder: /Monitor/Security/sumoctl-bench
content_folder: sumoctl-bench
params: {source_category: aws/cloudtrail}
connections:
  - {name: secops-webhook, url_env: BENCH_WEBHOOK_URL, default_payload: payloads/alert.json.j2}
"""

PAYLOAD = '{"detection": "[[ detection.id ]]", "trigger": "{{TriggerType}}", "results": "{{ResultsJson}}"}\n'


def make_repository(root: Path, detections: int) -> None:
    for folder in ("monitors", "environments", "queries", "templates/payloads"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "queries" / "by_event.sumo.j2").write_text(QUERY)
    (root / "templates" / "payloads" / "alert.json.j2").write_text(PAYLOAD)
    (root / "environments" / "bench.yaml").write_text(ENVIRONMENT)
    searches = detections // 10  # one in ten is a scheduled search
    for i in range(detections):
        deploy = ("{kind: scheduled_search, schedule: 1Hour, time_range: -1h}" if i < searches
                  else "{kind: monitor, frequency: 5m, time_range: 15m}")
        (root / "monitors" / f"bench-{i:04d}.yaml").write_text(
            f"id: bench-{i:04d}\nname: Bench detection {i:04d}\ndescription: CloudTrail event number {i}.\n"
            f"severity: {'high' if i % 2 else 'medium'}\ntags: [T1078]\nquery: by_event.sumo.j2\n"
            f"params: {{event_name: Event{i:04d}}}\ndeploy: {deploy}\nnotifications: [{{connection: secops-webhook}}]\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--detections", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the fake waits before each answer")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, FakeSumo(contract=False) as fake:
        root = Path(tmp)
        make_repository(root, args.detections)
        environ = {"SUMO_ENDPOINT": fake.endpoint, "BENCH_ACCESS_ID": fake.access_id,
                   "BENCH_ACCESS_KEY": fake.access_key, "BENCH_WEBHOOK_URL": "https://hooks.example.com/bench"}

        started = time.perf_counter()
        with SyncSession.open(root, "bench", environ, throttle=False) as session:
            result = session.apply(session.plan())
        print(f"setup: applied {args.detections} detections ({result.summary}) in "
              f"{time.perf_counter() - started:.1f} s without throttle or latency")

        fake.latency_s = args.latency
        fake.limiter = RateLimiter()
        first_call = len(fake.calls)
        started = time.perf_counter()
        with SyncSession.open(root, "bench", environ) as session:  # the CLI's client: real throttle
            loaded = time.perf_counter()
            desired = session.desired()
            rendered = time.perf_counter()
            remote = session.read()
            read = time.perf_counter()
            planned = make_plan(desired, remote)
            stats = session.client.stats.as_dict()
        wall = time.perf_counter() - started
        phases = (f"load {loaded - started:.2f} s, render {rendered - loaded:.2f} s, read {read - rendered:.2f} s, "
                  f"diff {time.perf_counter() - read:.2f} s")
        calls = fake.calls[first_call:]
        by_route = Counter(f"{c.method} {c.path}" for c in calls)
        # Starts are spaced 1/rate apart; with latency below that spacing only the last answer adds its wait.
        floor = (len(calls) - 1) / REQUESTS_PER_SECOND + args.latency

    print(f"plan: {planned.summary} for {args.detections} detections "
          f"({args.detections - args.detections // 10} monitors, {args.detections // 10} scheduled searches)")
    print(f"API calls: {len(calls)} (429s: {stats['rate_limited']}, retries: {stats['retries']})")
    for route, n in sorted(by_route.items()):
        print(f"  {n:4d}  {route}")
    pages = math.ceil(args.detections // 10 / 100)
    print(f"expected O(folders + pages): 1 folder GET + 1 connections page + 1 personal folder + "
          f"{pages} log-search page(s) = {3 + pages}")
    print(f"wall time: {wall:.2f} s ({phases}); reading floor at {REQUESTS_PER_SECOND:g} requests/s and {args.latency * 1000:.0f} ms "
          f"latency: {floor:.2f} s; one GET per detection would need >= {args.detections / REQUESTS_PER_SECOND:.0f} s")


if __name__ == "__main__":
    main()
