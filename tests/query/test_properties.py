"""Property tests: on any text the parser returns a Query or raises QuerySyntaxError, quickly; whatever it
accepts renders back to text that parses to an equal AST."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sumoctl.query import QuerySyntaxError, parse
from sumoctl.query import ast as a

from .conftest import CORPUS

# generous: a parse takes milliseconds; this only catches a hang (runaway regex, endless loop)
TIME_BOUND_S = 5.0


def _cloudtrail_queries() -> list[str]:
    with CORPUS.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [r["query"] for r in rows if r.get("cloudtrail")][:300]


SEEDS = _cloudtrail_queries()
SUMO_BITS = ["|", '"', "'", "(", ")", "[", "]", "/", "//", "/*", "*/", "*", "\\", "\\\"", ",", "=", "!", "%",
             "?", ":", " as ", " by ", " nodrop", " where ", " and ", " not ", " in ", " matches ", "\n",
             "{{x}}", "geo://", " json ", " parse ", " count ", "1h", "-", "+", " "]


def check(text: str) -> None:
    start = time.perf_counter()
    try:
        tree = parse(text)
    except QuerySyntaxError as err:
        assert err.line >= 1 and err.column >= 1
        assert "\n" not in str(err)
        err.excerpt()
        tree = None
    assert time.perf_counter() - start < TIME_BOUND_S, f"parse took too long on {text!r}"
    if tree is not None:
        assert isinstance(tree, a.Query)
        assert parse(tree.to_sumo()) == tree, tree.to_sumo()


@st.composite
def mutated_corpus_query(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 20)))
        action = draw(st.sampled_from(["delete", "insert", "replace", "duplicate"]))
        bit = draw(st.sampled_from(SUMO_BITS) | st.text(max_size=3))
        if action == "delete":
            text = text[:i] + text[j:]
        elif action == "insert":
            text = text[:i] + bit + text[i:]
        elif action == "replace":
            text = text[:i] + bit + text[j:]
        else:
            text = text[:j] + text[i:j] + text[j:]
    return text


COMMON = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(st.text(max_size=200))
@example("\\<0")  # a scope field named `\`: it has no %"..." form, so it must render bare
def test_arbitrary_text(text):
    check(text)


@COMMON
@given(st.lists(st.sampled_from(SUMO_BITS) | st.sampled_from(["x", "a1", "_raw", "count", "5", '"s"']),
                max_size=30).map("".join))
def test_sumo_flavoured_token_soup(text):
    check(text)


@COMMON
@given(mutated_corpus_query())
def test_mutated_corpus_queries(text):
    check(text)
