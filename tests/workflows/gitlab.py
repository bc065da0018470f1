"""A small local runner for the GitLab CI example: the jobs a pipeline source selects, stage by stage.

It evaluates the `rules:` forms the file uses (`$VAR == "text"`, `!=`, `$A == $B`, `&&`; `when: never / manual /
on_success`), runs each selected job's `script:` as one bash script with -eo pipefail in a fresh checkout, and
hands `artifacts:` to later jobs. `before_script` (installing sumoctl) is replaced by a `sumoctl` on PATH that
runs this worktree's code. The GitLab API is a recording server on 127.0.0.1 (`GitLabApi`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from tests.workflows.actions import REPO, STEP_TIMEOUT_S, write_sumoctl_shim

_CLAUSE = re.compile(r'^\s*\$(\w+)\s*(==|!=)\s*(?:"([^"]*)"|\$(\w+))\s*$')


def load_pipeline(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rule_matches(expression: str, variables: dict[str, str]) -> bool:
    result = True
    for clause in expression.split("&&"):
        match = _CLAUSE.match(clause)
        if not match:
            raise ValueError(f"unsupported rules expression {clause!r}")
        name, op, literal, other = match.groups()
        left = variables.get(name, "")
        right = literal if literal is not None else variables.get(other, "")
        result = result and ((left == right) if op == "==" else (left != right))
    return result


def job_when(rules: list[dict] | None, variables: dict[str, str]) -> str:
    """What the rules say for this pipeline: "never", "manual" or "on_success"."""
    if rules is None:
        return "on_success"
    for rule in rules:
        if "if" not in rule or rule_matches(rule["if"], variables):
            return rule.get("when", "on_success")
    return "never"


@dataclass
class JobRun:
    name: str
    exit_code: int
    stdout: str
    stderr: str
    workspace: Path


@dataclass
class Pipeline:
    created: bool
    definition: dict = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    artifacts: Path | None = None
    jobs: dict[str, JobRun] = field(default_factory=dict)
    manual: list[str] = field(default_factory=list)  # waiting for a person to play them

    def output(self) -> str:
        return "".join(j.stdout + j.stderr for j in self.jobs.values())


class Runner:
    def __init__(self, checkout: Path, scratch: Path, variables: dict[str, str]):
        self.checkout = checkout
        self.scratch = scratch
        self.variables = variables  # project CI/CD variables (secrets included)
        self.bin = scratch / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        write_sumoctl_shim(self.bin)
        self.runs = 0

    def run(self, pipeline: dict, source: str, predefined: dict[str, str]) -> Pipeline:
        """Run the pipeline a `source` event creates, up to the manual jobs, which wait for `play`."""
        self.runs += 1
        variables = {**{k: str(v) for k, v in pipeline.get("variables", {}).items()}, **self.variables,
                     "CI": "true", "CI_PIPELINE_SOURCE": source, "CI_DEFAULT_BRANCH": "main", **predefined}
        if job_when(pipeline.get("workflow", {}).get("rules"), variables) == "never":
            return Pipeline(created=False)
        artifacts = self.scratch / f"pipeline{self.runs}-artifacts"
        artifacts.mkdir()
        result = Pipeline(created=True, definition=pipeline, variables=variables, artifacts=artifacts)
        jobs = {k: v for k, v in pipeline.items() if isinstance(v, dict) and "script" in v and not k.startswith(".")}
        for stage in pipeline["stages"]:
            for name, job in jobs.items():
                if job.get("stage", "test") != stage:
                    continue
                when = job_when(job.get("rules"), variables)
                if when == "manual":
                    result.manual.append(name)
                if when in ("never", "manual"):
                    continue
                if any(r.exit_code != 0 for r in result.jobs.values()):
                    continue  # an earlier stage failed: later stages do not start
                result.jobs[name] = self._run_job(name, job, variables, artifacts)
        return result

    def play(self, pipeline: Pipeline, name: str) -> JobRun:
        """A person starts a manual job: it runs later, in the same pipeline, with its earlier artifacts."""
        assert name in pipeline.manual, f"{name} is not a manual job of this pipeline"
        pipeline.manual.remove(name)
        job = pipeline.definition[name]
        for need in job.get("needs", []):
            assert pipeline.jobs[need].exit_code == 0, f"{name} needs {need}, which failed"
        pipeline.jobs[name] = self._run_job(name, job, pipeline.variables, pipeline.artifacts)
        return pipeline.jobs[name]

    def _run_job(self, name: str, job: dict, variables: dict[str, str], artifacts: Path) -> JobRun:
        workspace = self.scratch / f"pipeline{self.runs}-{name}"
        shutil.copytree(self.checkout, workspace)
        shutil.copytree(artifacts, workspace, dirs_exist_ok=True)  # artifacts of earlier stages
        script = workspace.parent / f"pipeline{self.runs}-{name}.sh"
        script.write_text("\n".join(job["script"]) + "\n")
        env = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": os.environ.get("HOME", str(self.scratch)), "LANG": "C.UTF-8", "PYTHONPATH": str(REPO),
            "CI_JOB_NAME": name, "CI_PROJECT_DIR": str(workspace), **variables,
        }
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                              env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
        spec = job.get("artifacts") or {}
        if proc.returncode == 0 or spec.get("when") == "always":
            paths = list(spec.get("paths", [])) + list((spec.get("reports") or {}).values())
            for relpath in paths:
                if (workspace / relpath).is_file():
                    shutil.copy2(workspace / relpath, artifacts / relpath)
        return JobRun(name, proc.returncode, proc.stdout, proc.stderr, workspace)


class GitLabApi:
    """Records requests to the GitLab REST API on 127.0.0.1; answers issue searches with `open_issues`."""

    def __init__(self):
        self.requests: list[dict] = []
        self.open_issues: list[dict] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                api.requests.append({"method": self.command, "path": self.path,
                                     "token": self.headers.get("PRIVATE-TOKEN"),
                                     "json": json.loads(body) if body else None})

            def _answer(self, payload):
                data = json.dumps(payload).encode()
                self.send_response(200 if self.command != "POST" else 201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                self._record()
                self._answer(api.open_issues)

            def do_POST(self):  # noqa: N802
                self._record()
                self._answer({"id": 1, "iid": 1})

            def do_PUT(self):  # noqa: N802
                self._record()
                self._answer({"id": 1, "iid": 1})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v4"

    def __enter__(self) -> GitLabApi:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
