"""The engine keeps the cyclic collector off while it runs, and leaves what it made where the collector will not
scan it all at once afterwards (run._no_cyclic_gc)."""

import gc

from sumoctl.engine.run import _no_cyclic_gc


class Group:  # stands for an aggregation group: an object the collector tracks
    pass


def _in_generation(obj, generation: int) -> bool:
    return any(o is obj for o in gc.get_objects(generation=generation))


def test_what_a_run_made_is_not_left_for_the_next_young_collection():
    assert gc.isenabled()
    with _no_cyclic_gc():
        assert not gc.isenabled()
        groups = [Group() for _ in range(1000)]
    assert gc.isenabled()
    assert not _in_generation(groups[0], 0) and not _in_generation(groups[-1], 0)
    assert _in_generation(groups[0], 2)


def test_a_cycle_made_during_a_run_is_still_collected():
    with _no_cyclic_gc():
        cycle = Group()
        cycle.me = cycle
    gone = []
    import weakref

    weakref.finalize(cycle, gone.append, True)
    del cycle
    gc.collect()
    assert gone == [True]


def test_a_collector_turned_off_by_the_caller_stays_off():
    gc.disable()
    try:
        with _no_cyclic_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
