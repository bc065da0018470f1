"""The local workflow runner follows GitHub's rules where the workflows depend on them."""

from __future__ import annotations

import pytest

from tests.workflows.actions import Expressions, Runner


def evaluate(text: str, **contexts):
    functions = {"always": lambda: True, "success": lambda: True, "failure": lambda: False}
    return Expressions({"vars": {}, "secrets": {}, "env": {}, **contexts}, functions).evaluate(text)


@pytest.mark.parametrize("expression, expected", [
    ("vars.SUMOCTL_ENV || 'example'", "example"),
    ("secrets.SUMO_ACCESS_KEY != ''", False),          # a missing secret reads as empty
    ("secrets.MISSING == null", True),                 # null and '' are both 0 when the types differ
    ("'True' == 'true'", True),                        # strings compare ignoring case
    ("'2' == 2", True),
    ("!(env.X == 'a') && always()", True),
    ("steps.plan.outputs.changes == 'true'", False),
])
def test_expressions(expression, expected):
    assert evaluate(expression, steps={"plan": {"outputs": {"changes": "false"}}}) == expected


def test_an_unknown_expression_is_an_error_not_a_guess():
    with pytest.raises(ValueError, match="unsupported function"):
        evaluate("contains(github.event.labels, 'x')", github={})
    with pytest.raises(ValueError, match="unsupported context"):
        evaluate("matrix.os == 'linux'")


def test_steps_after_a_failure_run_only_with_a_status_function_and_continue_on_error_does_not_fail(tmp_path):
    (tmp_path / "repo").mkdir()
    workflow = {"jobs": {"j": {"steps": [
        {"name": "best effort", "run": "exit 3", "continue-on-error": True},
        {"name": "after best effort", "run": "echo still-running"},
        {"name": "broken", "run": "false"},
        {"name": "implicit success", "run": "echo never"},
        {"name": "always", "if": "always()", "run": "echo cleanup"},
    ]}}}
    run = Runner(tmp_path / "repo", tmp_path / "scratch").run(workflow)
    job = run.jobs["j"]
    assert [s.name for s in job.steps if s.ran] == ["best effort", "after best effort", "broken", "always"]
    assert job.step("best effort").outcome == "failure" and job.step("best effort").conclusion == "success"
    assert job.result == "failure" and job.step("always").stdout == "cleanup\n"


def test_job_outputs_and_needs(tmp_path):
    (tmp_path / "repo").mkdir()
    workflow = {"jobs": {
        "second": {"needs": "first", "if": "needs.first.outputs.go == 'yes'", "steps": [{"run": "echo ran"}]},
        "first": {"outputs": {"go": "${{ steps.decide.outputs.go }}"},
                  "steps": [{"id": "decide", "run": 'echo "go=yes" >> "$GITHUB_OUTPUT"'}]},
    }}
    run = Runner(tmp_path / "repo", tmp_path / "scratch").run(workflow)
    assert list(run.jobs) == ["first", "second"]  # `needs` order, not file order
    assert run.jobs["first"].outputs == {"go": "yes"} and run.jobs["second"].ran
