"""Client throughput under the fake's real rate limiter (4 requests/s per user, 10 in flight per key).

    python bench/client_rate.py [--requests 60] [--threads 1,4] [--latency 0.02]

For each thread count: requests/s achieved, 429s the client received, and whether the rate is within
10% of Sumo's documented 4 requests/s. Run from the repository root."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sumoctl.sumo import SumoClient  # noqa: E402
from tests.fakesumo import FakeSumo  # noqa: E402

TARGET = 4.0


def run(requests: int, threads: int, latency_s: float) -> dict:
    with FakeSumo(rate_limit=True, latency_s=latency_s, contract=False) as fake:
        client = SumoClient(fake.endpoint, fake.access_id, fake.access_key)
        root = client.monitors.root()["id"]  # warm-up: connection, first token
        per_thread = requests // threads
        start = time.monotonic()

        def work():
            for _ in range(per_thread):
                client.monitors.get(root)

        pool = [threading.Thread(target=work) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        elapsed = time.monotonic() - start
        done = per_thread * threads
        # The warm-up took the slot before the clock started, so the window holds `done` full intervals.
        rate = done / elapsed
        refused_by_fake = sum(1 for c in fake.calls if c.status == 429)
        client.close()
        return {"threads": threads, "requests": done, "seconds": elapsed, "rate": rate,
                "429_received": client.stats.rate_limited, "429_sent_by_fake": refused_by_fake}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--threads", default="1,4")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the fake takes per answer")
    args = parser.parse_args()
    ok = True
    print(f"{'threads':>7} {'requests':>8} {'seconds':>8} {'req/s':>6} {'429s':>5}  within 10% of {TARGET}/s")
    for threads in (int(t) for t in args.threads.split(",")):
        r = run(args.requests, threads, args.latency)
        within = abs(r["rate"] - TARGET) / TARGET <= 0.10
        ok &= within and r["429_received"] == 0
        print(f"{r['threads']:>7} {r['requests']:>8} {r['seconds']:>8.2f} {r['rate']:>6.2f} {r['429_received']:>5}  "
              f"{'yes' if within else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
