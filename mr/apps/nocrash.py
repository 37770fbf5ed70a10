"""crash.py without the crashes (course: mrapps/nocrash.go): the crash test's reference output."""

from __future__ import annotations


def map(filename: str, contents: str) -> list[tuple[str, str]]:
    return [
        ("a", filename),
        ("b", str(len(filename))),
        ("c", str(len(contents.encode("utf-8")))),  # Go's len(contents) counts bytes
        ("d", "xyzzy"),
    ]


def reduce(key: str, values: list[str]) -> str:
    return " ".join(sorted(values))
