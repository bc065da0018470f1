"""`python -m tests.fakesumo` serves until interrupted, with the credentials from the environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from sumoctl.sumo import SumoClient
from tests.helpers import REPO


def test_the_fake_runs_by_hand_and_prints_only_the_endpoint():
    env = {**os.environ, "SUMO_ACCESS_ID": "suManual", "SUMO_ACCESS_KEY": "manual-key-0123456789"}
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakesumo", "--faults", "5xx=10%", "--seed", "1"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("export SUMO_ENDPOINT=http://127.0.0.1:")
        assert "manual-key-0123456789" not in line
        endpoint = line.split("=", 1)[1].split()[0]
        client = SumoClient(endpoint, "suManual", "manual-key-0123456789", throttle=False)
        assert client.monitors.root()["name"] == "Monitor"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode == 0


def test_the_fake_refuses_to_start_without_credentials():
    env = {k: v for k, v in os.environ.items() if k not in ("SUMO_ACCESS_ID", "SUMO_ACCESS_KEY")}
    proc = subprocess.run([sys.executable, "-m", "tests.fakesumo"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 1 and "SUMO_ACCESS_ID and SUMO_ACCESS_KEY" in proc.stderr
