"""A small local runner for our GitHub Actions workflows: jobs in `needs` order, steps in order, as a runner would.

It evaluates the expression forms the workflows use (`${{ }}` in env and with, `if:` conditions with status
functions, `steps.*.outputs`, `needs.*.outputs`, `secrets`, `vars`, `hashFiles`), runs every `run:` step with
bash -eo pipefail (GitHub's default shell) in a fresh copy of the repository per job, and stands in for the
actions: artifacts are copied between jobs, the other actions are recorded with their inputs. The step that
installs sumoctl is replaced by a `sumoctl` on PATH that runs this worktree's code; `gh` is a recording stub.
An expression form it does not know is an error, so a workflow cannot silently outgrow the test.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
INSTALL_STEP = re.compile(r"\bpip install\b")
STEP_TIMEOUT_S = 180


SUMOCTL_SHIM = """#!{python}
# This worktree's `sumoctl` with the client throttle off: the fake Sumo has no rate limiter (as in tests/e2e),
# and 4 requests/s would only slow the tests down.
from sumoctl.sync import SyncSession
SyncSession.client_options = {{"throttle": False}}
from sumoctl.cli.app import main
main()
"""


def write_sumoctl_shim(bin_dir: Path) -> Path:
    path = bin_dir / "sumoctl"
    path.write_text(SUMOCTL_SHIM.format(python=sys.executable))
    path.chmod(0o755)
    return path


def load_workflow(path: Path) -> dict:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in document:  # YAML 1.1 reads the key `on` as a boolean
        document["on"] = document.pop(True)
    return document


# -- expressions ----------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||!|\(|\)|,)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*)*))"
)
STATUS_FUNCTIONS = ("always", "success", "failure", "cancelled")


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"unsupported expression syntax at {text[pos:]!r}")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value.strip() or 0)  # GitHub reads '' as 0
    except ValueError:
        return float("nan")


def _equal(a: Any, b: Any) -> bool:
    """GitHub's loose equality: strings ignore case; operands of different types are compared as numbers."""
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if type(a) is type(b) and not isinstance(a, str):
        return a == b
    return _number(a) == _number(b)


class Expressions:
    """Evaluates GitHub expressions over the contexts of one step."""

    def __init__(self, contexts: dict[str, Any], functions: dict[str, Any]):
        self.contexts = contexts
        self.functions = functions

    def evaluate(self, text: str) -> Any:
        self._tokens = _tokens(text)
        self._pos = 0
        value = self._or()
        if self._pos != len(self._tokens):
            raise ValueError(f"unexpected {self._tokens[self._pos][1]!r} in {text!r}")
        return value

    def interpolate(self, text: Any) -> Any:
        if not isinstance(text, str):
            return text
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: as_text(self.evaluate(m.group(1))), text)

    def _peek(self) -> str | None:
        return self._tokens[self._pos][1] if self._pos < len(self._tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._tokens[self._pos]
        self._pos += 1
        return token

    def _or(self):
        left = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            left = left or right  # GitHub's || returns the first truthy operand, as Python's `or`
        return left

    def _and(self):
        left = self._compare()
        while self._peek() == "&&":
            self._take()
            right = self._compare()
            left = left and right
        return left

    def _compare(self):
        left = self._unary()
        while self._peek() in ("==", "!="):
            op = self._take()[1]
            right = self._unary()
            left = _equal(left, right) if op == "==" else not _equal(left, right)
        return left

    def _unary(self):
        if self._peek() == "!":
            self._take()
            return not self._unary()
        return self._primary()

    def _primary(self):
        kind, value = self._take()
        if value == "(" and kind == "op":
            inner = self._or()
            self._take()
            return inner
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "num":
            return float(value)
        if kind == "name":
            if value in ("true", "false"):
                return value == "true"
            if value == "null":
                return None
            if self._peek() == "(":
                self._take()
                args = []
                while self._peek() != ")":
                    args.append(self._or())
                    if self._peek() == ",":
                        self._take()
                self._take()
                if value not in self.functions:
                    raise ValueError(f"unsupported function {value}()")
                return self.functions[value](*args)
            return self._lookup(value)
        raise ValueError(f"unexpected {value!r}")

    def _lookup(self, path: str):
        head, *rest = path.split(".")
        if head not in self.contexts:
            raise ValueError(f"unsupported context {head!r} in {path!r}")
        node = self.contexts[head]
        for part in rest:
            node = node.get(part) if isinstance(node, dict) else None
        return node


# -- running --------------------------------------------------------------------------------------------------


@dataclass
class StepRun:
    name: str
    id: str | None
    ran: bool
    uses: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    run: str | None = None
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    continue_on_error: bool = False

    @property
    def outcome(self) -> str:
        if not self.ran:
            return "skipped"
        return "success" if not self.exit_code else "failure"

    @property
    def conclusion(self) -> str:
        """What the job sees: a failure with continue-on-error counts as a success."""
        return "success" if self.outcome == "failure" and self.continue_on_error else self.outcome


@dataclass
class JobRun:
    name: str
    ran: bool
    workspace: Path | None = None
    steps: list[StepRun] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def result(self) -> str:
        if not self.ran:
            return "skipped"
        return "failure" if any(s.conclusion == "failure" for s in self.steps) else "success"

    def step(self, name: str) -> StepRun:
        for s in self.steps:
            if s.name == name or s.id == name:
                return s
        raise KeyError(f"no step {name!r} in job {self.name!r}: {[s.name for s in self.steps]}")


@dataclass
class WorkflowRun:
    jobs: dict[str, JobRun]

    @property
    def result(self) -> str:
        return "failure" if any(j.result == "failure" for j in self.jobs.values()) else "success"

    def output(self) -> str:
        """Everything every step printed, to check that no secret was."""
        return "".join(s.stdout + s.stderr for j in self.jobs.values() for s in j.steps)


def _job_order(jobs: dict[str, dict]) -> list[str]:
    order: list[str] = []

    def visit(name: str, trail: tuple[str, ...] = ()) -> None:
        if name in order:
            return
        if name in trail:
            raise ValueError(f"`needs` cycle through {name}")
        needs = jobs[name].get("needs", [])
        for need in [needs] if isinstance(needs, str) else needs:
            visit(need, trail + (name,))
        order.append(name)

    for name in jobs:
        visit(name)
    return order


def _step_name(step: dict) -> str:
    return step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]


@dataclass
class Runner:
    """Runs workflows over copies of `checkout` with the given secrets and variables."""

    checkout: Path
    scratch: Path
    secrets: dict[str, str] = field(default_factory=dict)
    vars: dict[str, str] = field(default_factory=dict)
    gh_open_issue: str = ""  # what the `gh issue list` stub answers

    def __post_init__(self) -> None:
        self.bin = self.scratch / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        self.artifacts = self.scratch / "artifacts"
        self.gh_log = self.scratch / "gh.jsonl"
        write_sumoctl_shim(self.bin)
        self._script(self.bin / "gh", f"#!{sys.executable}\n" + GH_STUB)
        self.runs = 0

    @staticmethod
    def _script(path: Path, text: str) -> None:
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    def gh_calls(self) -> list[dict]:
        if not self.gh_log.exists():
            return []
        return [json.loads(line) for line in self.gh_log.read_text().splitlines()]

    def run(self, workflow: dict, event: dict | None = None) -> WorkflowRun:
        self.runs += 1
        github = {
            "token": "ghs_stub-token-for-tests", "server_url": "https://github.com", "repository": "acme/detections",
            "run_id": str(1000 + self.runs), "event": event or {},
        }
        jobs = workflow["jobs"]
        result = WorkflowRun(jobs={})
        for name in _job_order(jobs):
            result.jobs[name] = self._run_job(name, jobs[name], workflow, github, result)
        return result

    def _run_job(self, name: str, job: dict, workflow: dict, github: dict, run: WorkflowRun) -> JobRun:
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        needs_ctx = {n: {"outputs": run.jobs[n].outputs, "result": run.jobs[n].result} for n in needs}
        all_needed_ok = all(run.jobs[n].result == "success" for n in needs)
        functions = {"always": lambda: True, "success": lambda: all_needed_ok, "failure": lambda: not all_needed_ok,
                     "cancelled": lambda: False}
        base = Expressions({"github": github, "secrets": self.secrets, "vars": self.vars, "needs": needs_ctx},
                           functions)
        if not self._condition(base, job.get("if")):
            return JobRun(name=name, ran=False)

        workspace = self.scratch / f"run{self.runs}-{name}"
        shutil.copytree(self.checkout, workspace)  # every job starts from a fresh checkout
        job_run = JobRun(name=name, ran=True, workspace=workspace)
        env: dict[str, str] = {}
        for key, value in (workflow.get("env") or {}).items():
            env[key] = as_text(base.interpolate(value))
        for key, value in (job.get("env") or {}).items():
            env[key] = as_text(base.interpolate(value))

        steps_ctx: dict[str, dict] = {}
        for index, step in enumerate(job["steps"]):
            failed = any(s.conclusion == "failure" for s in job_run.steps)
            ok = all_needed_ok and not failed
            context = Expressions(
                {"github": github, "secrets": self.secrets, "vars": self.vars, "needs": needs_ctx, "env": env,
                 "steps": steps_ctx},
                {"always": lambda: True, "success": lambda ok=ok: ok, "failure": lambda ok=ok: not ok,
                 "cancelled": lambda: False, "hashFiles": lambda *p, ws=workspace: _hash_files(ws, p)},
            )
            step_run = StepRun(name=_step_name(step), id=step.get("id"), ran=False, uses=step.get("uses"),
                               run=step.get("run"), continue_on_error=bool(step.get("continue-on-error", False)))
            if self._condition(context, step.get("if"), ok):
                step_run.ran = True
                step_env = {**env, **{k: as_text(context.interpolate(v)) for k, v in (step.get("env") or {}).items()}}
                step_run.inputs = {k: context.interpolate(v) for k, v in (step.get("with") or {}).items()}
                if "run" in step:
                    self._run_script(step, step_run, step_env, workspace, index)
                else:
                    self._use_action(step_run, workspace)
            job_run.steps.append(step_run)
            if step_run.id:
                steps_ctx[step_run.id] = {"outputs": step_run.outputs, "outcome": step_run.outcome,
                                          "conclusion": step_run.conclusion}

        final = Expressions({"steps": steps_ctx, "github": github, "env": env}, {})
        job_run.outputs = {k: as_text(final.interpolate(v)) for k, v in (job.get("outputs") or {}).items()}
        return job_run

    @staticmethod
    def _condition(context: Expressions, condition: Any, ok: bool = True) -> bool:
        if condition is None:
            return ok
        text = str(condition).strip()
        if text.startswith("${{") and text.endswith("}}"):
            text = text[3:-2]
        value = context.evaluate(text)
        if not any(f"{name}(" in text for name in STATUS_FUNCTIONS):
            return ok and bool(value)  # GitHub adds an implicit success() &&
        return bool(value)

    def _run_script(self, step: dict, step_run: StepRun, env: dict[str, str], workspace: Path, index: int) -> None:
        if INSTALL_STEP.search(step["run"]):
            step_run.exit_code = 0  # the harness provides sumoctl on PATH (this worktree's code)
            step_run.stdout = "(install replaced by the test harness)\n"
            return
        files = workspace.parent / f"{workspace.name}-step{index}"
        files.mkdir()
        output_file, summary_file = files / "output", files / "summary"
        output_file.touch()
        script = files / "script.sh"
        script.write_text(step["run"])
        full_env = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": os.environ.get("HOME", str(self.scratch)),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(REPO),
            "CI": "true", "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(output_file), "GITHUB_STEP_SUMMARY": str(summary_file),
            "GITHUB_WORKSPACE": str(workspace), "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "acme/detections", "GITHUB_RUN_ID": str(1000 + self.runs),
            "GH_STUB_LOG": str(self.gh_log), "GH_STUB_OPEN_ISSUE": self.gh_open_issue,
            **env,
        }
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                              env=full_env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
        step_run.exit_code = proc.returncode
        step_run.stdout, step_run.stderr = proc.stdout, proc.stderr
        step_run.outputs = _parse_outputs(output_file.read_text())

    def _use_action(self, step_run: StepRun, workspace: Path) -> None:
        action = (step_run.uses or "").split("@", 1)[0]
        step_run.exit_code = 0
        if action == "actions/upload-artifact":
            target = self.artifacts / step_run.inputs["name"]
            target.mkdir(parents=True, exist_ok=True)
            for line in str(step_run.inputs["path"]).splitlines():
                source = workspace / line.strip()
                if not source.is_file():
                    step_run.exit_code, step_run.stderr = 1, f"no file {line.strip()} to upload\n"
                    return
                shutil.copy2(source, target / source.name)
        elif action == "actions/download-artifact":
            source = self.artifacts / step_run.inputs["name"]
            if not source.is_dir():
                step_run.exit_code, step_run.stderr = 1, f"artifact {step_run.inputs['name']} not found\n"
                return
            dest = workspace / step_run.inputs.get("path", ".")
            shutil.copytree(source, dest, dirs_exist_ok=True)
        # checkout (the workspace is a fresh copy), setup-python and the reporting actions are recorded only.


def _hash_files(workspace: Path, patterns: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    found = False
    for pattern in patterns:
        for path in sorted(workspace.glob(pattern)):
            if path.is_file():
                found = True
                digest.update(path.read_bytes())
    return digest.hexdigest() if found else ""


def _parse_outputs(text: str) -> dict[str, str]:
    outputs, lines = {}, iter(text.splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<", 1)[0]:
            key, delimiter = line.split("<<", 1)
            value = []
            for item in lines:
                if item == delimiter:
                    break
                value.append(item)
            outputs[key] = "\n".join(value)
        elif "=" in line:
            key, value = line.split("=", 1)
            outputs[key] = value
    return outputs


GH_STUB = '''
import json, os, sys
args = sys.argv[1:]
entry = {"args": args}
if "--body-file" in args:
    with open(args[args.index("--body-file") + 1], encoding="utf-8") as f:
        entry["body"] = f.read()
with open(os.environ["GH_STUB_LOG"], "a", encoding="utf-8") as f:
    f.write(json.dumps(entry) + "\\n")
if args[:2] == ["issue", "list"] and os.environ.get("GH_STUB_OPEN_ISSUE"):
    print(os.environ["GH_STUB_OPEN_ISSUE"])
'''
