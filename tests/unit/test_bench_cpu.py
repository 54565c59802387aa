"""The benchmark's reading of a server's CPU time counts the worker processes it started."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.cpu import tree_cpu_seconds

# The child spends this much CPU itself, by its own clock, then waits to be read and stopped.
BURN = 0.3
CHILD = f"""
import sys, time
while time.process_time() < {BURN}:
    pass
print("burnt", flush=True)
sys.stdin.read()
"""


def test_a_living_child_s_cpu_time_is_counted_with_its_parent_s() -> None:
    before = tree_cpu_seconds(os.getpid())
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "burnt"
        # The clock ticks of /proc round down by at most one tick (1/100 s on Linux).
        assert tree_cpu_seconds(os.getpid()) - before >= BURN - 0.02
        assert tree_cpu_seconds(child.pid) >= BURN - 0.02
    finally:
        child.communicate("")


def test_an_ended_process_has_no_cpu_time_left_to_read() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert tree_cpu_seconds(child.pid) == 0.0
