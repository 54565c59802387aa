"""CPU time a process and its descendants have used, read from Linux's ``/proc``.

The server under load is ``torekes serve`` and, with several workers, the worker processes it
starts; the benchmark reads their CPU time at the start and the end of a measured window to say
how much processor one request costs the server, independently of how long it waited for locks.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
# Fields of /proc/<pid>/stat after the command name: state is field 3; utime and stime are
# fields 14 and 15 (man 5 proc), counted in clock ticks.
_AFTER_NAME_UTIME = 11
_AFTER_NAME_STIME = 12
_AFTER_NAME_PPID = 1


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:  # the process ended between listing and reading
        return None
    # The command name is in parentheses and may itself contain spaces or parentheses.
    return text[text.rindex(")") + 2 :].split()


def _parents() -> dict[int, int]:
    found: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) is not None:
            found[int(entry.name)] = int(fields[_AFTER_NAME_PPID])
    return found


def tree_cpu_seconds(root: int) -> float:
    """User plus system CPU seconds of ``root`` and every living descendant."""
    parents = _parents()
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    ticks = 0
    for pid in tree:
        fields = _stat_fields(pid)
        if fields is not None:
            ticks += int(fields[_AFTER_NAME_UTIME]) + int(fields[_AFTER_NAME_STIME])
    return ticks / os.sysconf("SC_CLK_TCK")
