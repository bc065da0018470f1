"""Running detections offline: their test cases (`sumoctl test`) and the pack over event files (`sumoctl eval`).

This is where a detections repository meets the engine: render each detection for an environment, parse the
rendered text, and run exactly that over events.
"""

from sumoctl.testing.cases import CaseResult, TestRun, default_env, run_tests
from sumoctl.testing.pack import PackResult, evaluate_pack

__all__ = ["CaseResult", "PackResult", "TestRun", "default_env", "evaluate_pack", "run_tests"]
