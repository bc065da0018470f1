from sumoctl.sync import Kind, detect_drift
from sumoctl.sync.remote import add, remote_monitor
from tests.sync.helpers import stored_as_sumo_would


def _monitor(remote, key):
    return next(o for o in remote.objects if o.kind == Kind.MONITOR and o.marker.key == key)


def _reread(remote, obj, **changes):
    """The remote state after a field of `obj` was changed by hand."""
    remote.objects.remove(obj)
    add(remote, remote_monitor({**obj.body, **changes}, "test", remote.connection_names, obj.location))


def test_right_after_an_apply_there_is_no_drift(desire):
    desired = desire()
    report = detect_drift(desired, stored_as_sumo_would(desired))
    assert not report.drifted and report.pending == [] and report.checked == len(desired.objects)


def test_a_hand_edit_names_the_object_and_the_field(desire):
    desired = desire()
    remote = stored_as_sumo_would(desired)
    _reread(remote, _monitor(remote, "cloudtrail-defense-evasion"), isDisabled=True)
    report = detect_drift(desired, remote)
    assert report.drifted
    assert [(i.key, i.fields) for i in report.edited] == [("cloudtrail-defense-evasion", ["isDisabled"])]
    assert report.pending == []


def test_a_repository_change_is_pending_not_drift(desire, repo):
    remote = stored_as_sumo_would(desire())
    env = repo / "environments" / "test.yaml"
    env.write_text(env.read_text().replace('["US", "CA"]', '["US"]'))
    report = detect_drift(desire(), remote)
    assert not report.drifted
    assert [(i.key, i.fields) for i in report.pending] == [("cloudtrail-suspicious-console-login", ["query"])]


def test_a_hand_edit_and_a_pending_change_on_one_monitor_are_reported_apart(desire, repo):
    remote = stored_as_sumo_would(desire())
    _reread(remote, _monitor(remote, "cloudtrail-suspicious-console-login"), name="renamed by hand")
    env = repo / "environments" / "test.yaml"
    env.write_text(env.read_text().replace('["US", "CA"]', '["US"]'))
    report = detect_drift(desire(), remote)
    assert [(i.key, i.fields) for i in report.edited] == [("cloudtrail-suspicious-console-login", ["name"])]
    assert [(i.key, i.fields) for i in report.pending] == [("cloudtrail-suspicious-console-login", ["query"])]


def test_a_hand_delete_and_an_unmarked_newcomer_are_drift(desire):
    desired = desire()
    remote = stored_as_sumo_would(desired)
    remote.objects.remove(_monitor(remote, "cloudtrail-lambda-persistence"))
    add(remote, remote_monitor({"id": "00000000000000AA", "name": "made in the UI", "queries": [], "triggers": []},
                               "test", remote.connection_names, remote.monitor_folder.path))
    report = detect_drift(desired, remote)
    assert report.drifted
    assert [i.key for i in report.missing] == ["cloudtrail-lambda-persistence"]
    assert [i.id for i in report.unmanaged] == ["00000000000000AA"]
