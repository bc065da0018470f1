"""Properties: backoff bounds, and the fake's duration canonicalisation keeping the length of time."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from sumoctl.sumo import Backoff
from tests.fakesumo.durations import canonical, seconds

durations = st.builds(lambda sign, n, unit: f"{sign}{n}{unit}", st.sampled_from(["", "-"]),
                      st.integers(min_value=0, max_value=10_000), st.sampled_from("smhdw"))


@settings(max_examples=200, deadline=None)
@given(durations)
def test_canonical_durations_keep_their_length_and_are_idempotent(value):
    out = canonical(value)
    assert seconds(out) == seconds(value)
    assert canonical(out) == out
    assert abs(seconds(canonical(value, negative=True))) == abs(seconds(value))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=40), st.floats(min_value=0.001, max_value=5), st.integers(0, 2**32))
def test_backoff_stays_between_half_a_step_and_a_step_and_never_exceeds_the_cap(attempt, base, seed):
    backoff = Backoff(base_s=base, cap_s=30.0, rng=random.Random(seed))
    step = min(30.0, base * 2 ** (attempt - 1))
    assert step / 2 <= backoff.delay(attempt) <= step <= 30.0


@settings(max_examples=50, deadline=None)
@given(st.floats(min_value=0, max_value=3600))
def test_retry_after_wins_over_backoff(retry_after):
    assert Backoff().delay(5, retry_after) == retry_after
