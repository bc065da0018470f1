import pytest

from sumoctl.errors import SumoctlError
from sumoctl.sync import Action, Kind, make_plan
from sumoctl.sync.remote import RemoteState, add, remote_monitor, Folder
from tests.sync.helpers import stored_as_sumo_would


def test_what_the_server_stores_after_an_apply_plans_no_changes(desire):
    desired = desire()
    plan = make_plan(desired, stored_as_sumo_would(desired))
    assert plan.changes == []
    assert plan.unchanged == len(desired.objects)


def test_an_empty_org_plans_folders_connections_monitors_and_searches(desire):
    desired = desire()
    empty = RemoteState("test", Folder("/Monitor/Security/sumoctl-test", parent_id="R",
                                       missing=["/Monitor/Security", "/Monitor/Security/sumoctl-test"]),
                        Folder("(personal folder)/sumoctl-test", parent_id="P", missing=["(personal folder)/sumoctl-test"]))
    plan = make_plan(desired, empty)
    assert all(c.action == Action.CREATE for c in plan.changes)
    kinds = [c.kind for c in plan.changes]
    assert kinds.count(Kind.MONITOR_FOLDER) == 2 and kinds.count(Kind.CONTENT_FOLDER) == 1
    assert kinds.count(Kind.MONITOR) == 4 and kinds.count(Kind.LOG_SEARCH) == 1 and kinds.count(Kind.CONNECTION) == 2


def test_changing_one_parameter_changes_exactly_the_queries_that_use_it(desire, repo):
    remote = stored_as_sumo_would(desire())
    env = repo / "environments" / "test.yaml"
    env.write_text(env.read_text().replace('allowed_countries: ["US", "CA"]', 'allowed_countries: ["US", "CA", "MX"]'))
    plan = make_plan(desire(), remote)
    assert [(c.action, c.key) for c in plan.changes] == [(Action.UPDATE, "cloudtrail-suspicious-console-login")]
    (field,) = plan.changes[0].fields
    assert field.field == "query"
    assert '("US", "CA")' in field.before and '("US", "CA", "MX")' in field.after


def test_removing_a_detection_plans_exactly_one_delete(desire, repo):
    remote = stored_as_sumo_would(desire())
    (repo / "monitors" / "cloudtrail-lambda-persistence.yaml").unlink()
    plan = make_plan(desire(), remote)
    assert [(c.action, c.kind, c.key) for c in plan.changes] == [
        (Action.DELETE, Kind.MONITOR, "cloudtrail-lambda-persistence")]


def test_an_unmarked_monitor_in_the_managed_folder_is_never_part_of_a_plan(desire):
    desired = desire()
    remote = stored_as_sumo_would(desired)
    handmade = {"id": "00000000000000FF", "name": "made in the UI", "queries": [{"rowId": "A", "query": "x"}],
                "triggers": [], "tags": {"team": "secops"}}
    add(remote, remote_monitor(handmade, "test", remote.connection_names, remote.monitor_folder.path))
    plan = make_plan(desired, remote)
    assert plan.changes == []
    assert [u.id for u in plan.unmanaged] == ["00000000000000FF"]


def test_a_monitor_marked_for_another_environment_is_left_alone(desire):
    desired = desire()
    remote = stored_as_sumo_would(desired)
    theirs = {"id": "00000000000000FE", "name": "prod's", "queries": [], "triggers": [],
              "tags": {"sumoctl": "prod/cloudtrail-x", "sumoctl-state": "v1."}}
    add(remote, remote_monitor(theirs, "test", remote.connection_names, remote.monitor_folder.path))
    plan = make_plan(desired, remote)
    assert plan.changes == [] and [u.id for u in plan.unmanaged] == ["00000000000000FE"]


def test_a_second_object_with_the_same_marker_is_deleted_and_the_first_kept(desire):
    desired = desire()
    remote = stored_as_sumo_would(desired)
    first = next(o for o in remote.objects if o.kind == Kind.MONITOR)
    copy_body = {**first.body, "id": "00000000000000FD", "createdAt": "2026-02-01T00:00:00Z"}
    add(remote, remote_monitor(copy_body, "test", remote.connection_names, remote.monitor_folder.path))
    plan = make_plan(desired, remote)
    assert [(c.action, c.id) for c in plan.changes] == [(Action.DELETE, "00000000000000FD")]


def test_an_empty_repository_never_plans_deletes(desire, repo):
    remote = stored_as_sumo_would(desire())
    for path in (repo / "monitors").glob("*.yaml"):
        path.unlink()
    for path in (repo / "environments").glob("*.yaml"):  # overrides would name detections that are gone
        path.write_text(path.read_text().split("overrides:")[0])
    with pytest.raises(SumoctlError, match="refusing"):
        make_plan(desire(), remote)


def test_a_rotated_header_secret_is_an_update_shown_as_sensitive(desire, monkeypatch):
    from tests.sync import helpers
    remote = stored_as_sumo_would(desire())
    monkeypatch.setitem(helpers.ENVIRON, "TEST_PAGERDUTY_TOKEN", "Token token=ROTATED")
    plan = make_plan(desire(), remote)
    (change,) = plan.changes
    assert change.key == "secops-pagerduty" and [(f.field, f.sensitive) for f in change.fields] == [("headerValues", True)]


def test_a_connection_name_taken_by_an_unmanaged_connection_is_an_error(desire):
    desired = desire()
    remote = stored_as_sumo_would(desired)
    remote.objects = [o for o in remote.objects if not (o.kind == Kind.CONNECTION and o.marker.key == "secops-slack")]
    from sumoctl.sync.remote import remote_connection
    add(remote, remote_connection({"id": "00000000000000FC", "name": "secops-slack", "url": "https://x"}, "test"))
    with pytest.raises(SumoctlError, match="already exists"):
        make_plan(desired, remote)
