"""Cost of the engine's line screen (not part of the test suite): us/line of bare `orjson.loads`, of
`Prefilter.decode` (the msgspec projection) and of `Prefilter.wanted` (which queries may want the line), for the
whole enabled pack of the example environment, measured in one run with the garbage collector off.

Generates N (default 200,000) resampled CloudTrail events with bench/engine_throughput.py's `generate()`, or
reads FILE. Prints each figure, decode+wanted, and its ratio to orjson.loads (lower is cheaper).

Usage: python bench/screen.py [--events N] [--seed S] [--file FILE] [--repeat R]   (from the repository root)
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.engine_throughput import enabled_ids, generate  # noqa: E402
from sumoctl.engine import Runner, compile_query  # noqa: E402
from sumoctl.events import Metadata  # noqa: E402
from sumoctl.project import load_project  # noqa: E402


def pack_runner() -> Runner:
    project = load_project(REPO)
    queries = [compile_query(project.render(d, "example").query) for d in enabled_ids()]
    meta = Metadata(source_category=project.environment("example").params["source_category"])
    return Runner(queries, meta, jobs=1)


def best_of(repeat: int, step) -> float:
    """The fastest of `repeat` timed passes: the least disturbed by the other processes on the machine."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    return best


def each(step, items) -> None:
    for item in items:
        step(item)


def each_with(step, items, extra) -> None:
    for item in items:
        step(item, extra)


def measure(lines: list[bytes], repeat: int) -> None:
    runner = pack_runner()
    prefilter = runner.prefilter
    meta_fields = runner._meta_fields("bench.jsonl")
    decode, wanted = prefilter.decode, prefilter.wanted
    objs = [decode(line) for line in lines]
    count = len(lines)
    gc.disable()
    try:
        # Each pass drops what it builds, as the engine does for a line no query wants.
        bare = best_of(repeat, lambda: each(orjson.loads, lines))
        decoding = best_of(repeat, lambda: each(decode, lines))
        screening = best_of(repeat, lambda: each_with(wanted, objs, meta_fields))
    finally:
        gc.enable()
    kept = sum(1 for obj in objs if wanted(obj, meta_fields))
    per = lambda seconds: seconds / count * 1e6  # noqa: E731
    print(f"{count:,} lines, {len(runner.queries)} queries, {kept:,} lines wanted by some query")
    print(f"orjson.loads    {per(bare):6.2f} us/line")
    print(f"decode          {per(decoding):6.2f} us/line")
    print(f"wanted          {per(screening):6.2f} us/line")
    print(f"decode+wanted   {per(decoding + screening):6.2f} us/line = {(decoding + screening) / bare:.2f} x orjson.loads")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.file:
        lines = [line for line in args.file.read_bytes().splitlines() if line.strip()]
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "events.jsonl"
            generate(path, args.events, args.seed)
            lines = path.read_bytes().splitlines()
    measure(lines, args.repeat)


if __name__ == "__main__":
    main()
