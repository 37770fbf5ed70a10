"""Job counter (course: mrapps/jobcount.go): the output is how many map runs there were."""

from __future__ import annotations

import os
import random
import time

_count = 0  # map runs in this process, for unique file names


def map(filename: str, contents: str) -> list[tuple[str, str]]:
    global _count
    with open(f"mr-worker-jobcount-{os.getpid()}-{_count}", "w") as f:
        f.write("x")
    _count += 1
    time.sleep((2000 + random.randrange(3000)) / 1000)  # 2000-4999 ms, under the 10 s rule
    return [("a", "x")]


def reduce(key: str, values: list[str]) -> str:
    return str(sum(1 for name in os.listdir(".") if name.startswith("mr-worker-jobcount")))
