"""Throughput of the offline engine, measured in one run (not part of the test suite).

1. Generates N (default 1,000,000) realistic CloudTrail events by resampling the shared real records
   (../shared/data/cloudtrail/*.jsonl): each sample gets a new eventTime (30 days), eventID, source IP (when it
   was an IP; from a pool of 2,000 random addresses, as real trails repeat theirs) and identity (user name and
   ARN from a pool of 500) and awsRegion, everything else as recorded. Most shared records come from Stratus
   Red Team with anonymised, scrambled region names (`sagov-westsouth-1r`) that no real trail has, so each
   sample gets a real AWS region: 97% from the example environment's allowed_regions (those of
   cloudtrail-unusual-region-activity), 3% from other real regions, as a trail with some stray activity has.
   Two files: a uniform resample, and a "quiet trail" where 2% of events carry an errorCode.
2. Prints, for each file, events/s (wall and CPU time) of
   - the whole pack (every enabled detection of the example environment) in one pass,
   - bare `orjson.loads` of every line (the same file, read the same way),
   and their ratio; then the pack over only the lines its screen lets through (those some detection may want), as
   if every other line cost nothing: the floor of the Python work the pack does for the events it matches; and, on
   the uniform file, the pack's detections that stream their rows and those that aggregate, each set alone;
3. For each of the four original searches, on the uniform file: the engine running that detection alone, and
   the same logic in DuckDB SQL over the same file (read_json with the needed columns; DuckDB uses every
   core), three times each in turn, as the ratio of the medians (and each run's), with both row counts;
4. Peak RSS of a pack run over 1M quiet events and over 2M (the same file and a second quiet file drawn with
   another seed), each in a fresh process. Every pack run writes its rows as `sumoctl eval --format jsonl`
   does, to /dev/null: rows of detections without an aggregate are streamed out as they are produced, so
   only aggregation state is kept in memory.
5. The uniform file again as CloudTrail delivers it to S3 (gzipped `{"Records": [...]}` objects of 1,000
   records in an AWSLogs/ tree): the whole pack over the tree against bare `orjson.loads` of every object, both
   gunzipping.

Every engine run uses --jobs worker processes (default: the machine's cores, as `sumoctl eval`); its CPU time
includes theirs, and the pack's line says how it splits between them and this process. DuckDB uses every core too.

Usage: python bench/engine_throughput.py [--events N] [--jobs N] [--keep]     (from the repository root)
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sumoctl.engine import Runner, compile_query  # noqa: E402
from sumoctl.events import Metadata  # noqa: E402
from sumoctl.events.reader import READ_BUFFER  # noqa: E402
from sumoctl.project import load_project  # noqa: E402
from sumoctl.query import parse  # noqa: E402
from sumoctl.report.rows import NEEDS_SIZE, printable  # noqa: E402

SHARED = REPO.parent / "shared" / "data" / "cloudtrail"
START = 1_715_000_000  # 2024-05-06, seconds

ORIGINALS = {  # the four blog searches and their detections in this repository
    "1 suspicious logins": "cloudtrail-suspicious-console-login",
    "2 account discovery": "cloudtrail-account-discovery-blog",
    "3 lambda persistence": "cloudtrail-lambda-persistence",
    "4 evading defenses": "cloudtrail-defense-evasion",
}


def load_samples() -> list[dict]:
    samples = []
    for path in sorted(SHARED.glob("*.jsonl")):
        if path.name.endswith(".index.jsonl"):
            continue
        samples.extend(orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip())
    return samples


OTHER_REGIONS = [  # real AWS regions outside the example environment's allowed_regions
    "us-west-1", "ca-central-1", "eu-west-1", "eu-west-2", "eu-central-1", "eu-north-1", "ap-southeast-1",
    "ap-southeast-2", "ap-northeast-1", "ap-south-1", "sa-east-1", "me-south-1", "af-south-1",
]
STRAY_REGION_SHARE = 0.03


def allowed_regions() -> list[str]:
    project = load_project(REPO)
    return list(project.render("cloudtrail-unusual-region-activity", "example").params["allowed_regions"])


def _ip(rng: random.Random) -> str:
    return f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def generate(path: Path, count: int, seed: int = 4, error_share: float | None = None) -> None:
    """`error_share` None: resample the shared records uniformly (they come from attack simulations: about 1 in 6
    is a denied call). A number: draw records with an errorCode with that probability, the rest uniformly from
    the others (a quieter trail, as production accounts have)."""
    rng = random.Random(seed)
    samples = load_samples()
    errors = [r for r in samples if r.get("errorCode")]
    quiet = [r for r in samples if not r.get("errorCode")]
    users = [f"user{i:03d}" for i in range(500)]
    # Real trails see the same addresses again and again (offices, NAT gateways, CI runners): a pool of 2,000.
    addresses = [_ip(rng) for _ in range(2000)]
    days = [time.strftime("%Y-%m-%d", time.gmtime(START + d * 86400)) for d in range(30)]
    home = allowed_regions()
    with open(path, "wb", buffering=1 << 20) as out:
        for n in range(count):
            if error_share is None:
                record = dict(rng.choice(samples))
            else:
                record = dict(rng.choice(errors if rng.random() < error_share else quiet))
            day, second = divmod(rng.randrange(30 * 86400), 86400)
            hour, second = divmod(second, 3600)
            minute, second = divmod(second, 60)
            record["eventTime"] = f"{days[day]}T{hour:02d}:{minute:02d}:{second:02d}Z"
            record["eventID"] = f"{rng.getrandbits(32):08x}-{n:012d}"
            if "awsRegion" in record:
                record["awsRegion"] = rng.choice(OTHER_REGIONS if rng.random() < STRAY_REGION_SHARE else home)
            ip = record.get("sourceIPAddress")
            if isinstance(ip, str) and ip[:1].isdigit() and "," not in ip:
                record["sourceIPAddress"] = rng.choice(addresses)
            identity = record.get("userIdentity")
            if isinstance(identity, dict) and isinstance(identity.get("userName"), str):
                identity = dict(identity)
                old, new = identity["userName"], rng.choice(users)
                identity["userName"] = new
                if isinstance(identity.get("arn"), str):
                    identity["arn"] = identity["arn"].replace(old, new)
                record["userIdentity"] = identity
            out.write(orjson.dumps(record))
            out.write(b"\n")


RECORDS_PER_OBJECT = 1000


def write_s3_objects(jsonl: Path, folder: Path) -> Path:
    """The events of `jsonl` as CloudTrail delivers them: gzipped `{"Records": [...]}` objects of 1,000 records
    (the last one shorter), in an AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/ tree. Returns the tree."""
    import gzip

    day = folder / "AWSLogs" / "123456789012" / "CloudTrail" / "us-east-1" / "2024" / "05" / "06"
    day.mkdir(parents=True)
    with open(jsonl, "rb", buffering=READ_BUFFER) as handle:
        n = 0
        while chunk := [line.rstrip(b"\n") for line in itertools.islice(handle, RECORDS_PER_OBJECT)]:
            name = f"123456789012_CloudTrail_us-east-1_20240506T{n // 12:02d}{n % 12 * 5:02d}Z_{n:06x}.json.gz"
            (day / name).write_bytes(gzip.compress(b'{"Records":[' + b",".join(chunk) + b"]}", compresslevel=6))
            n += 1
    return folder / "AWSLogs"


def bare_orjson_objects(tree: Path) -> tuple[int, Clock]:
    """Bare `orjson.loads` of every S3 object under `tree`, gunzipped as sumoctl gunzips them (ISA-L)."""
    from isal import igzip

    n = 0
    with Clock() as clock:
        for path in sorted(tree.rglob("*.json.gz")):
            n += len(orjson.loads(igzip.decompress(path.read_bytes()))["Records"])
    return n, clock


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>10,.0f}/s"


def cpu_seconds() -> tuple[float, float]:
    """CPU time of this process, and of its finished children (the engine's worker processes)."""
    t = os.times()
    return t.user + t.system, t.children_user + t.children_system


class Clock:
    """Wall time and CPU time, the engine's worker processes included (the machine is shared: CPU time is the
    steadier of the two); `parent` is this process's share of the CPU time."""

    def __enter__(self):
        self.wall, (self.parent, self.workers) = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc):
        parent, workers = cpu_seconds()
        self.wall = time.perf_counter() - self.wall
        self.parent, self.workers = parent - self.parent, workers - self.workers
        self.cpu = self.parent + self.workers


SEARCH_RUNS = 3  # each original search, engine and DuckDB in turn: the machine's speed varies from one minute to the next
JOBS = os.cpu_count() or 1  # --jobs: worker processes of every engine run (sumoctl eval's default)


def bare_orjson(path: Path) -> tuple[int, Clock]:
    n = 0
    loads = orjson.loads
    with Clock() as clock, open(path, "rb", buffering=READ_BUFFER) as handle:  # read as sumoctl reads a file
        for line in handle:
            loads(line)
            n += 1
    return n, clock


# A detection-shaped query without an aggregate whose rows are every ConsoleLogin and denied call: its rows
# are streamed out, so its peak RSS shows what streaming keeps (nothing that grows with the input).
STREAM_QUERY = (
    '_sourceCategory=aws/cloudtrail | json "eventName", "errorCode", "sourceIPAddress", "userIdentity.arn" '
    'as event_name, error_code, src_ip, user_arn nodrop | where event_name = "ConsoleLogin" or !isBlank(error_code) '
    '| fields event_name, error_code, src_ip, user_arn'
)


def run_pack(paths: list[Path], ids: list[str], extra: list[str] = ()) -> tuple[Runner, Clock]:
    project = load_project(REPO)
    queries = [compile_query(parse(project.render(d, "example").query)) for d in ids]
    queries += [compile_query(parse(text)) for text in extra]
    ids = list(ids) + [f"query{i}" for i in range(len(extra))]
    written = [0] * len(ids)
    with open(os.devnull, "wb") as out:
        def write(index: int, row: dict) -> None:
            written[index] += 1
            out.write(orjson.dumps({"detection": ids[index], **printable(row)}) + b"\n")

        runner = Runner(
            queries, Metadata(source_category=project.environment("example").params["source_category"]), on_row=write,
            jobs=JOBS, sized_rows=NEEDS_SIZE,
        )
        with Clock() as clock:
            runner.run_files(paths)
            for index, rows in enumerate(runner.results()):  # the aggregates' rows, once the input is read
                for row in rows:
                    write(index, row)
    runner.rows_written = written
    return runner, clock


def write_wanted_lines(path: Path, out: Path, runner: Runner) -> int:
    """Copy the lines of `path` that the runner's screen lets through (some detection may want them) to `out`: the
    part of the input that the pack's Python work is spent on. Returns how many. The engine's own screen decides."""
    from sumoctl.engine.run import _screen

    kept = 0
    with open(path, "rb", buffering=READ_BUFFER) as lines, open(out, "wb", buffering=READ_BUFFER) as copy:
        for _, _, line, _ in _screen(lines, runner.prefilter, runner._meta_fields(str(path)), [0, 0]):
            copy.write(line)
            kept += 1
    return kept


def enabled_ids() -> list[str]:
    project = load_project(REPO)
    return [d for d in sorted(project.detections) if project.render(d, "example").enabled]


DUCKDB_SOURCE = """read_json('{path}', format='newline_delimited', ignore_errors=true, columns={{
    eventName: 'VARCHAR', eventSource: 'VARCHAR', eventTime: 'VARCHAR', errorCode: 'VARCHAR', errorMessage: 'VARCHAR',
    sourceIPAddress: 'VARCHAR', userAgent: 'VARCHAR', userIdentity: 'JSON', additionalEventData: 'JSON'}})"""

DUCKDB_SQL = {
    # DuckDB has no geo lookup: SQL selects the logins without MFA, Python locates them (the same geoip2fast
    # data) and counts the groups; all of it is timed.
    "1 suspicious logins": """
        SELECT additionalEventData->>'MFAUsed' AS mfa, userIdentity->>'type' AS user_type,
               userIdentity->>'arn' AS user_arn, sourceIPAddress AS src_ip, userAgent AS user_agent
        FROM {source} WHERE eventName = 'ConsoleLogin' AND additionalEventData->>'MFAUsed' <> 'Yes'""",
    "2 account discovery": """
        SELECT time_bucket(INTERVAL 1 hour, CAST(eventTime AS TIMESTAMP)) AS _timeslice, userIdentity->>'type' AS user_type,
               userIdentity->>'userName' AS user_name, eventSource, errorMessage, sourceIPAddress,
               count(*) AS failures, count(DISTINCT eventName) AS methods, count(DISTINCT eventSource) AS sources
        FROM {source} WHERE errorCode = 'AccessDenied' GROUP BY ALL
        HAVING count(*) > 5 AND count(DISTINCT eventName) > 1 AND count(DISTINCT eventSource) > 1""",
    "3 lambda persistence": """
        SELECT eventName, userIdentity->>'invokedBy' AS invoked_by FROM {source}
        WHERE userIdentity->>'invokedBy' = 'lambda.amazonaws.com'
          AND eventName IN ('CreateAccessKey', 'AuthorizeSecurityGroupIngress', 'UpdateAssumeRolePolicy')""",
    "4 evading defenses": """
        SELECT eventName, sourceIPAddress, userIdentity->>'arn' AS user_arn, userIdentity->>'type' AS user_type,
               eventSource, errorCode FROM {source}
        WHERE eventName IN ('DeleteTrail', 'StopLogging', 'DeleteLogGroup', 'DeleteLogStream', 'DeleteDestination')""",
}


def duckdb_search(path: Path, name: str) -> tuple[int, float, float]:
    import collections

    import duckdb

    from sumoctl.engine.geo import GeoIP2FastProvider

    geo = GeoIP2FastProvider()
    geo.lookup("1.1.1.1")  # load the dataset before timing, as the engine's run has it loaded too
    con = duckdb.connect()
    sql = DUCKDB_SQL[name].format(source=DUCKDB_SOURCE.format(path=path))
    wall, cpu = time.perf_counter(), time.process_time()
    rows = con.execute(sql).fetchall()
    if name.startswith("1 "):
        groups = collections.Counter()
        for mfa, user_type, user_arn, src_ip, user_agent in rows:
            country = geo.lookup(src_ip).get("country_code") if src_ip else None
            if country is not None and country not in ("US",):
                groups[(country, mfa, user_type, user_arn, src_ip, user_agent)] += 1
        rows = list(groups)
    return len(rows), time.perf_counter() - wall, time.process_time() - cpu


def peak_rss_kb() -> int:
    """This process's peak RSS. VmHWM, because Linux carries ru_maxrss over fork and exec from the parent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_rss(paths: list[Path], stream_only: bool) -> None:
    """Run the pack (or only STREAM_QUERY) and print events, peak RSS in MB, seconds and rows written."""
    runner, clock = run_pack(paths, [] if stream_only else enabled_ids(), [STREAM_QUERY] if stream_only else [])
    print(f"{runner.summary.events} {peak_rss_kb() / 1024:.1f} {clock.wall:.2f} {sum(runner.rows_written)}")


def measure_rss(paths: list[Path], stream_only: bool = False) -> tuple[int, float, float, int]:
    flag = ["--rss-stream"] if stream_only else []
    out = subprocess.run([sys.executable, __file__, *flag, "--jobs", str(JOBS), "--rss-child", *map(str, paths)], capture_output=True, text=True, check=True)
    events, mb, seconds, rows = out.stdout.split()
    return int(events), float(mb), float(seconds), int(rows)


def measure(path: Path, count: int, label: str, ids: list[str], compare_duckdb: bool) -> None:
    print(f"\n== {label}")
    n, orj = bare_orjson(path)
    runner, pack = run_pack([path], ids)
    s = runner.summary
    print(f"  bare orjson.loads per line   wall {rate(n, orj.wall)}  cpu {rate(n, orj.cpu)}")
    print(f"  whole pack, one pass         wall {rate(s.events, pack.wall)}  cpu {rate(s.events, pack.cpu)}   "
          f"pack/orjson: wall {orj.wall / pack.wall:.2f}x, cpu {orj.cpu / pack.cpu:.2f}x   "
          f"({len(ids)} detections, {s.matched:,} events matched)")
    print(f"  whole pack CPU per event      this process {pack.parent / s.events * 1e6:.2f} us (merging parts, rows out), "
          f"workers {pack.workers / s.events * 1e6:.2f} us; bare orjson.loads {orj.cpu / n * 1e6:.2f} us")
    wanted = path.with_name(path.stem + "-wanted.jsonl")
    kept = write_wanted_lines(path, wanted, runner)
    runner_wanted, pack_wanted = run_pack([wanted], ids)
    wanted.unlink()
    print(f"  the pack's floor: the same run over only the {kept:,} lines its screen lets through (as if every other line "
          f"cost nothing)\n"
          f"                               wall {rate(s.events, pack_wanted.wall)}  cpu {rate(s.events, pack_wanted.cpu)}   "
          f"pack/orjson: wall {orj.wall / pack_wanted.wall:.2f}x, cpu {orj.cpu / pack_wanted.cpu:.2f}x   "
          f"(per event of the whole file; same rows: {sum(runner_wanted.rows_written) == sum(runner.rows_written)})")
    if not compare_duckdb:
        return
    aggregating = [d for d, q in zip(ids, runner.queries) if q.aggregator is not None]
    for label, part in (("streaming detections", [d for d in ids if d not in aggregating]), ("aggregating detections", aggregating)):
        part_runner, part_pack = run_pack([path], part)
        print(f"  the {len(part)} {label + ' alone,':24s} wall {rate(s.events, part_pack.wall)}  cpu {rate(s.events, part_pack.cpu)}   "
              f"pack/orjson: wall {orj.wall / part_pack.wall:.2f}x, cpu {orj.cpu / part_pack.cpu:.2f}x   "
              f"({sum(part_runner.rows_written):,} rows)")
    print(f"  the four original searches, engine alone vs DuckDB SQL on the same file, each run {SEARCH_RUNS} times in turn,"
          " medians (>1x: the engine is faster)")
    for name, detection in ORIGINALS.items():
        # In turn, so that a slow spell of this shared machine falls on both; the median of each side.
        engine_walls, engine_cpus, duck_walls, duck_cpus = [], [], [], []
        for _ in range(SEARCH_RUNS):
            single, engine = run_pack([path], [detection])
            rows_engine = single.rows_written[0]
            rows_duck, duck_wall, duck_cpu = duckdb_search(path, name)
            engine_walls.append(engine.wall)
            engine_cpus.append(engine.cpu)
            duck_walls.append(duck_wall)
            duck_cpus.append(duck_cpu)
        engine_wall, engine_cpu = statistics.median(engine_walls), statistics.median(engine_cpus)
        duck_wall, duck_cpu = statistics.median(duck_walls), statistics.median(duck_cpus)
        ratios = ", ".join(f"{d / e:.2f}" for d, e in zip(duck_walls, engine_walls))
        print(f"    {name:21s} engine wall {rate(count, engine_wall)}  duckdb wall {rate(count, duck_wall)} "
              f"(cpu {rate(count, duck_cpu)})   engine/duckdb: wall {duck_wall / engine_wall:5.2f}x ({ratios}), "
              f"cpu {duck_cpu / engine_cpu:5.2f}x   rows {rows_engine} / {rows_duck}")


def measure_s3(uniform: Path, folder: Path, ids: list[str]) -> None:
    """The uniform resample as CloudTrail's S3 delivery format: the pack over the tree against bare orjson.loads
    of every object (both gunzip)."""
    with Clock() as written:
        tree = write_s3_objects(uniform, folder / "s3")
    objects = sum(1 for _ in tree.rglob("*.json.gz"))
    print(f"\n== the uniform resample as S3 objects: {objects:,} gzipped Records documents of {RECORDS_PER_OBJECT:,} "
          f"records (written in {written.wall:.0f} s)")
    n, orj = bare_orjson_objects(tree)
    runner, pack = run_pack([tree], ids)
    s = runner.summary
    print(f"  bare orjson.loads per object wall {rate(n, orj.wall)}  cpu {rate(n, orj.cpu)}")
    print(f"  whole pack, one pass         wall {rate(s.events, pack.wall)}  cpu {rate(s.events, pack.cpu)}   "
          f"pack/orjson: wall {orj.wall / pack.wall:.2f}x, cpu {orj.cpu / pack.cpu:.2f}x   ({s.matched:,} events matched)")


def main() -> None:
    global JOBS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated files (printed)")
    parser.add_argument("--jobs", type=int, default=JOBS, help="engine worker processes (default: the machine's cores)")
    parser.add_argument("--rss-child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--rss-stream", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        child_rss([Path(p) for p in args.rss_child], args.rss_stream)
        return

    folder = Path(tempfile.mkdtemp(prefix="sumoctl-bench-"))
    uniform, quiet, quiet2 = folder / "uniform.jsonl", folder / "quiet.jsonl", folder / "quiet2.jsonl"
    with Clock() as clock:
        generate(uniform, args.events)
        generate(quiet, args.events, error_share=0.02)
    print(f"engine jobs: {JOBS}")
    print(f"generated 2 x {args.events:,} events from {len(load_samples())} shared records in {clock.wall:.0f} s "
          f"({uniform.stat().st_size / 1e6:,.0f} MB each) in {folder}")
    ids = enabled_ids()
    try:
        measure(uniform, args.events, "uniform resample of the shared records (about 1 in 6 is a denied call)", ids, True)
        measure(quiet, args.events, "quiet trail: 2% of events carry an errorCode, the rest resampled uniformly", ids, False)
        measure_s3(uniform, folder, ids)
        print("\n== peak RSS in a fresh process (rows are streamed out; only aggregation state is kept)")
        # 2M events of the same kind: the quiet file and a second one drawn with another seed.
        generate(quiet2, args.events, seed=5, error_share=0.02)
        for stream_only, label in ((False, "whole pack"), (True, "one non-aggregate query")):
            for files in ([quiet], [quiet, quiet2]):
                events, mb, seconds, rows = measure_rss(files, stream_only)
                print(f"  {label:24s} {events:>10,} events   peak RSS {mb:7.1f} MB   {rows:>9,} rows written   "
                      f"(wall {rate(events, seconds)})")
    finally:
        if args.keep:
            print(f"\nkept {folder}")
        else:
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
