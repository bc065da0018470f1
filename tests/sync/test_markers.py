import pytest

from sumoctl.sync.markers import Marker, State, fit_description, secret_fingerprint, strip_marker

ORDER = ("name", "query", "triggers")


def test_a_marker_round_trips_through_monitor_tags():
    state = State.of({"name": "n", "query": "q", "triggers": [1]}, ORDER)
    marker = Marker("prod", "cloudtrail-x", state.encode())
    back = Marker.from_tags({"team": "secops", **marker.tags()})
    assert back == marker
    assert back.state(ORDER) == state


def test_a_marker_round_trips_through_a_description_line_even_with_blanks_in_the_name():
    marker = Marker("prod", "secops slack", State.of({}, ORDER).encode())
    text = marker.describe("Alerts for the #secops channel.")
    assert text.startswith("Alerts for the #secops channel.\n\n[sumoctl ")
    assert Marker.from_description(text) == marker
    assert strip_marker(text) == "Alerts for the #secops channel."


@pytest.mark.parametrize("tags", [None, {}, {"sumoctl": "no-slash"}, {"owner": "x"}])
def test_objects_without_a_readable_marker_are_unmarked(tags):
    assert Marker.from_tags(tags) is None


def test_a_description_without_the_marker_line_is_unmarked():
    assert Marker.from_description("made in the UI [sumoctl is great]") is None


def test_a_state_with_the_wrong_number_of_digests_is_unreadable():
    state = State.of({}, ORDER).encode()
    assert State.decode(state, len(ORDER) + 1) is None
    assert State.decode("v0." + state[3:], len(ORDER)) is None


def test_the_description_is_shortened_so_that_it_and_the_marker_fit():
    marker = Marker("prod", "cloudtrail-defense-evasion", State.of({}, ORDER).encode())
    text = marker.describe("x" * 400, limit=255)
    assert len(text) <= 255
    assert Marker.from_description(text) == marker
    assert fit_description("short", 255, 40) == "short"


def test_a_change_in_one_field_changes_only_that_digest():
    a = State.of({"name": "n", "query": "q", "triggers": [1]}, ORDER)
    b = State.of({"name": "n", "query": "q2", "triggers": [1]}, ORDER)
    assert [x != y for x, y in zip(a.fields, b.fields)] == [False, True, False]


def test_secret_fingerprints_are_salted_per_environment_and_stable():
    assert secret_fingerprint("https://hook", "sumoctl/dev") != secret_fingerprint("https://hook", "sumoctl/prod")
    assert secret_fingerprint("https://hook", "sumoctl/dev") == secret_fingerprint("https://hook", "sumoctl/dev")
    assert "hook" not in secret_fingerprint("https://hook", "sumoctl/dev")
