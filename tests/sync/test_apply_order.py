from sumoctl.sync import Action, Change, Kind, Plan
from sumoctl.sync.apply import ordered


def test_apply_order_follows_dependencies():
    plan = Plan("test", changes=[
        Change(Action.DELETE, Kind.CONNECTION, "old-hook", "old-hook"),
        Change(Action.DELETE, Kind.MONITOR, "gone", "gone"),
        Change(Action.UPDATE, Kind.MONITOR, "kept", "kept"),
        Change(Action.CREATE, Kind.LOG_SEARCH, "new-search", "new-search"),
        Change(Action.CREATE, Kind.CONNECTION, "new-hook", "new-hook"),
        Change(Action.CREATE, Kind.CONTENT_FOLDER, "f", "f"),
        Change(Action.CREATE, Kind.MONITOR_FOLDER, "/Monitor/a", "a"),
        Change(Action.CREATE, Kind.MONITOR_FOLDER, "/Monitor/a/b", "b"),
    ])
    assert [c.key for c in ordered(plan)] == [
        # folders first, outermost first; then connections the monitors will use; then monitors and searches;
        # then what is deleted, monitors before the connections they stop using
        "f", "/Monitor/a", "/Monitor/a/b", "new-hook", "kept", "new-search", "gone", "old-hook"]
