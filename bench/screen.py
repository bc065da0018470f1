"""Cost of the engine's line screen (not part of the test suite): us/line of bare `orjson.loads`, of
`Prefilter.decode` (the msgspec projection) and of `Prefilter.wanted` (which queries may want the line), for the
whole enabled pack of the example environment, measured in one run with the garbage collector off.

Generates N (default 200,000) resampled CloudTrail events with bench/engine_throughput.py's `generate()`, or
reads FILE. Prints each figure, decode+wanted, and its ratio to orjson.loads (lower is cheaper).

Usage: python bench/screen.py [--events N] [--seed S] [--error-share F] [--file FILE] [--repeat R]
       (from the repository root)
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

from bench.engine_throughput import enabled_ids, generate
from sumoctl.engine import Runner, compile_query
from sumoctl.events import Metadata
from sumoctl.project import load_project


def pack_runner() -> Runner:
    project = load_project(REPO)
    queries = [compile_query(project.render(d, "example").query) for d in enabled_ids()]
    meta = Metadata(source_category=project.environment("example").params["source_category"])
    return Runner(queries, meta, jobs=1)


def best_times(repeat: int, steps: dict) -> dict[str, float]:
    """For each step (name: (prepare, step)), the fastest of `repeat` timed passes, the steps taking turns: the
    least disturbed by the other processes on the machine, each in the same conditions as the others."""
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(repeat):
        for name, (prepare, step) in steps.items():
            argument = prepare()
            start = time.perf_counter()
            step(argument)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def measure(lines: list[bytes], repeat: int) -> None:
    runner = pack_runner()
    prefilter = runner.prefilter
    meta_fields = runner._meta_fields("bench.jsonl")
    decode, wanted = prefilter.decode, prefilter.wanted
    loads = orjson.loads

    def bare(_):
        for line in lines:
            loads(line)

    def decoding(_):
        for line in lines:
            decode(line)

    def fresh_objects():
        # Decoded anew for each pass: a string's hash is computed once and cached in it, and the screen hashes
        # the values it reads, so screening objects a second time would flatter it.
        return [decode(line) for line in lines]

    def screening(objs):
        for obj in objs:
            wanted(obj, meta_fields)

    def one_pass(_):
        for line in lines:
            wanted(decode(line), meta_fields)

    gc.disable()  # Each pass drops what it builds, as the engine does for a line no query wants.
    try:
        nothing = lambda: None
        times = best_times(repeat, {
            "orjson.loads": (nothing, bare),
            "decode": (nothing, decoding),
            "wanted": (fresh_objects, screening),
            "wanted(decode(line))": (nothing, one_pass),
        })
    finally:
        gc.enable()
    count = len(lines)
    kept = sum(1 for line in lines if wanted(decode(line), meta_fields))
    print(f"{count:,} lines, {len(runner.queries)} queries, {kept:,} lines wanted by some query")
    for label, seconds in times.items():
        print(f"{label:22s} {seconds / count * 1e6:6.2f} us/line")
    bare = times["orjson.loads"]
    print(f"decode + wanted timed apart      = {(times['decode'] + times['wanted']) / bare:.2f} x orjson.loads")
    print(f"wanted(decode(line)) in one pass = {times['wanted(decode(line))'] / bare:.2f} x orjson.loads")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--error-share", type=float, help="a quiet trail: this share of events carry an errorCode")
    parser.add_argument("--file", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.file:
        lines = [line for line in args.file.read_bytes().splitlines() if line.strip()]
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "events.jsonl"
            generate(path, args.events, args.seed, error_share=args.error_share)
            lines = path.read_bytes().splitlines()
    measure(lines, args.repeat)


if __name__ == "__main__":
    main()
