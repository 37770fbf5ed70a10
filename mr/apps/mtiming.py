"""Map parallelism probe (course: mrapps/mtiming.go): do two workers run maps at once?"""

from __future__ import annotations

import os
import time

from mr.apps.nparallel import nparallel


def map(filename: str, contents: str) -> list[tuple[str, str]]:
    start = time.time()
    pid = os.getpid()
    n = nparallel("map")
    return [(f"times-{pid}", f"{start:.1f}"), (f"parallel-{pid}", str(n))]


def reduce(key: str, values: list[str]) -> str:
    return " ".join(sorted(values))
