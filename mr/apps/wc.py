"""Word count (course: mrapps/wc.go): map emits (word, "1") per word; reduce counts."""

from __future__ import annotations

import builtins
import re

# A word is a maximal run of letters (wc.go: strings.FieldsFunc with !unicode.IsLetter).
# [^\W\d_] is every word character except digits and "_": the letters, plus a few non-decimal
# numerals (e.g. "²") that str.isalpha() rejects, which words() splits off below.
_RUN = re.compile(r"[^\W\d_]+")


def words(text: str) -> list[str]:
    runs = _RUN.findall(text)
    # builtins.map: this module's own map() is the app's (the course's shape).
    if all(builtins.map(str.isalpha, runs)):  # C speed; true for almost every text
        return runs
    out: list[str] = []
    for run in runs:
        if run.isalpha():
            out.append(run)
        else:
            out.extend(w for w in "".join(c if c.isalpha() else " " for c in run).split())
    return out


def map(filename: str, contents: str) -> list[tuple[str, str]]:
    return [(w, "1") for w in words(contents)]


def reduce(key: str, values: list[str]) -> str:
    return str(len(values))
