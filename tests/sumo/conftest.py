from tests.fakesumo.fixtures import fake_sumo, fast_client  # noqa: F401
