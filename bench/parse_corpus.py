"""Parse the 13,006-query community corpus: acceptance rate, queries/s, round trip, failures by cause.

Run from the repository root:  python bench/parse_corpus.py [--show N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sumoctl.query import QuerySyntaxError, parse  # noqa: E402
from sumoctl.query.split import sample_placeholder_values  # noqa: E402

CORPUS = REPO.parent / "shared" / "data" / "sumo-queries" / "community-examples.jsonl"


def cause(err: QuerySyntaxError) -> str:
    """Group errors by message with quoted specifics removed."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", err.message)[:90]


def parse_input(query: str, star: bool) -> str:
    if star:
        from sumoctl.query.split import substitute_placeholders
        return substitute_placeholders(query, None, "*")
    return sample_placeholder_values(query)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--show", type=int, default=2, help="examples to print per failure cause")
    ap.add_argument("--star", action="store_true",
                    help="substitute every placeholder with '*' (default: a value that fits where it stands)")
    args = ap.parse_args()
    queries = [json.loads(line)["query"] for line in CORPUS.open(encoding="utf-8")]
    failures: dict[str, list] = defaultdict(list)
    roundtrip_bad = []
    asts = []
    t0, c0 = time.perf_counter(), time.process_time()
    for q in queries:
        try:
            text = parse_input(q, args.star)
            asts.append(parse(text))
        except QuerySyntaxError as e:
            failures[cause(e)].append((q, e))
            asts.append(None)
    t1, c1 = time.perf_counter(), time.process_time()
    for tree in asts:
        if tree is None:
            continue
        try:
            if parse(tree.to_sumo()) != tree:
                roundtrip_bad.append(tree)
        except QuerySyntaxError:
            roundtrip_bad.append(tree)
    t2 = time.perf_counter()
    ok = sum(1 for t in asts if t is not None)
    n = len(queries)
    print(f"queries            {n}")
    print(f"accepted           {ok} ({100 * ok / n:.2f}%)")
    print(f"parse rate         {n / (t1 - t0):.0f} queries/s wall ({t1 - t0:.1f} s), "
          f"{n / (c1 - c0):.0f} queries/s of CPU ({c1 - c0:.1f} s)")
    print(f"round trip         {ok - len(roundtrip_bad)}/{ok} equal ({t2 - t1:.1f} s)")
    stage_kinds = Counter(type(s).__name__ for t in asts if t for s in t.stages)
    print("stage nodes        " + ", ".join(f"{k} {v}" for k, v in stage_kinds.most_common()))
    print(f"\nfailures by cause ({n - ok}):")
    for c, items in sorted(failures.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(items):5d}  {c}")
        for q, e in items[: args.show]:
            for line in e.excerpt().splitlines():
                print(f"           | {line[:150]}")
    for tree in roundtrip_bad[: args.show]:
        print("round trip differs:", tree.to_sumo()[:300])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
