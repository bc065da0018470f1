import pytest

from sumoctl.errors import SumoctlError
from sumoctl.project import load_project, sumo_list, sumo_string
from tests.helpers import REPO, copy_repo


@pytest.mark.parametrize(
    "value, literal",
    [
        ("aws/cloudtrail", '"aws/cloudtrail"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("C:\\temp", '"C:\\\\temp"'),
        ("a | count", '"a | count"'),
        ("two\nlines", '"two\\nlines"'),
        ('\\"', '"\\\\\\""'),
    ],
)
def test_sumo_string_keeps_the_value_inside_one_literal(value, literal):
    assert sumo_string(value) == literal


def test_a_quoted_parameter_parses_back_to_the_same_value():
    from sumoctl.query import parse

    for value in ['a"b', "back\\slash", "pipe | where x", "new\nline", '"; | count //']:
        query = parse(f"_sourceCategory=x | where field = {sumo_string(value)}")
        assert "count" not in [type(s).__name__.lower() for s in query.stages]
        assert len(query.stages) == 1


def test_sumo_list_quotes_every_item():
    assert sumo_list(["US", 'C"A']) == '("US", "C\\"A")'
    assert sumo_list("US") == '("US")'
    with pytest.raises(ValueError):
        sumo_list([])


def test_merge_order_detection_then_environment_then_override(tmp_path):
    root = copy_repo(tmp_path)
    (root / "environments/dev.yaml").write_text(
        (root / "environments/dev.yaml").read_text()
        + "  cloudtrail-suspicious-console-login:\n    params: {allowed_countries: [FR]}\n"
    )
    project = load_project(root)
    detection = project.detection("cloudtrail-suspicious-console-login")
    assert detection.params["allowed_countries"] == ["US"]  # the detection's default
    assert 'not in ("US", "GB", "DE", "IE")' in project.render(detection.id, "prod").query  # environment wins
    assert 'not in ("FR")' in project.render(detection.id, "dev").query  # override wins over environment
    assert 'not in ("JP")' in project.render(detection.id, "dev", {"allowed_countries": ["JP"]}).query


def test_prod_renders_its_own_source_category_and_countries():
    rendered = load_project(REPO).render("cloudtrail-suspicious-console-login", "prod")
    assert rendered.query.startswith('_sourceCategory="aws/org-trail/prod"\n')
    assert 'country_code not in ("US", "GB", "DE", "IE")' in rendered.query


def test_override_changes_severity_and_enabled():
    project = load_project(REPO)
    rendered = project.render("cloudtrail-account-discovery", "dev")
    assert rendered.severity == "low"
    assert "failures > 10" in rendered.query


def test_a_missing_parameter_names_detection_template_and_parameter(tmp_path):
    root = copy_repo(tmp_path)
    path = root / "environments/example.yaml"
    path.write_text(path.read_text().replace("  source_category: aws/cloudtrail\n", ""))
    project = load_project(root)
    with pytest.raises(SumoctlError) as err:
        project.render("cloudtrail-defense-evasion", "example")
    assert "cloudtrail-defense-evasion" in err.value.message
    assert "'source_category'" in err.value.message
    assert err.value.path == "queries/cloudtrail_defense_evasion.sumo.j2"
    assert err.value.line == 4


def test_payloads_keep_sumo_variables_and_escape_values():
    rendered = load_project(REPO).render("cloudtrail-defense-evasion", "example")
    payload = rendered.payload("payloads/default.json.j2")
    assert '"trigger": "{{TriggerType}}"' in payload
    assert '"results": "{{ResultsJson}}"' in payload
    assert '"detection": "cloudtrail-defense-evasion"' in payload


def test_locate_maps_a_rendered_line_back_to_the_template():
    rendered = load_project(REPO).render("cloudtrail-suspicious-console-login", "example")
    assert rendered.locate(1, 1) == ("templates/cloudtrail.sumo.j2", 4, 1)
    where_line = next(i for i, l in enumerate(rendered.query.splitlines(), 1) if l.startswith("| where"))
    assert rendered.locate(where_line, 3)[:2] == ("queries/cloudtrail_suspicious_console_login.sumo.j2", 6)


def test_locate_prefers_the_line_whose_literal_text_matches_over_a_similar_comment(tmp_path):
    root = copy_repo(tmp_path)
    template = root / "queries/cloudtrail_defense_evasion.sumo.j2"
    # An unclosed parenthesis on the `where` line (line 6); the comment on line 1 shares many words with the list.
    template.write_text(template.read_text().replace("| where event_name in", "| where (event_name in"))
    rendered = load_project(root).render("cloudtrail-defense-evasion", "example")
    where_line = next(i for i, l in enumerate(rendered.query.splitlines(), 1) if l.startswith("| where"))
    assert rendered.locate(where_line, 9) == ("queries/cloudtrail_defense_evasion.sumo.j2", 6, 9)
