"""nparallel() from mrapps/mtiming.go and rtiming.go: how many workers are in this phase right now."""

from __future__ import annotations

import os
import re
import time


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # the course: syscall.Kill(pid, 0) == nil
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def nparallel(phase: str) -> int:
    """Announce ourselves with a file, count live announcers, linger 1 s, withdraw."""
    pid = os.getpid()
    mine = f"mr-worker-{phase}-{pid}"
    with open(mine, "w") as f:
        f.write("x")
    pattern = re.compile(rf"mr-worker-{re.escape(phase)}-(\d+)$")
    count = 0
    for name in os.listdir("."):
        m = pattern.match(name)
        if m and _alive(int(m.group(1))):
            count += 1
    time.sleep(1)
    os.remove(mine)
    return count
