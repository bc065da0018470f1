"""Run the fake by hand: `python -m tests.fakesumo [--faults 429=20%,...] [--seed N] [--rate-limit]`.

It accepts the credentials in $SUMO_ACCESS_ID / $SUMO_ACCESS_KEY (set them to anything first), so that
nothing secret-looking is printed; point sumoctl at it with the SUMO_ENDPOINT it prints."""

from __future__ import annotations

import argparse
import os
import sys
import time

from tests.fakesumo import FakeSumo


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakesumo", description=__doc__)
    parser.add_argument("--faults", default=None, help="e.g. 429=20%%,5xx=10%%,reset=5%%,lost-response=5%%,slow=5%%")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--rate-limit", action="store_true", help="enforce 4 requests/s and 10 in flight")
    args = parser.parse_args()
    access_id, access_key = os.environ.get("SUMO_ACCESS_ID"), os.environ.get("SUMO_ACCESS_KEY")
    if not access_id or not access_key:
        sys.exit("set SUMO_ACCESS_ID and SUMO_ACCESS_KEY (any values): the fake accepts exactly those")
    fake = FakeSumo(faults=args.faults, seed=args.seed, latency_s=args.latency, rate_limit=args.rate_limit,
                    contract=False, access_id=access_id, access_key=access_key).start()
    print(f"export SUMO_ENDPOINT={fake.endpoint}   # credentials: $SUMO_ACCESS_ID / $SUMO_ACCESS_KEY", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
