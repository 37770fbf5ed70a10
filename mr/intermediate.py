"""The intermediate file format: what map task X writes to mr-X-Y for reduce task Y.

The handout leaves the format to us (JSON is its suggestion). A file is one header line,
then a JSON array of runs:

    mr-intermediate 1 <payload bytes> <crc32 of the payload, 8 hex digits>
    [["apple",["1"],3],["pear",["a","b"],1]]

A run [key, values, times] stands for the key's values `values * times`: ["1","1","1"] for
apple above. A key whose values are all equal (word count's "1"s, most of every app's
output) is written as its value once and a count. That cuts the JSON, and the time to
encode and decode it, to a fraction: one map task of the word-count benchmark emits about
450,000 values but only about 64,000 distinct keys.

The header lets a reducer tell a truncated or corrupted file (a crashed or buggy writer, a
full disk) from a good one before decoding it: read() raises IntermediateError naming the
file, never returns a silently wrong answer.
"""

from __future__ import annotations

import json
import os
import zlib
from typing import Any

MAGIC = "mr-intermediate"
VERSION = 1

Run = tuple[str, list[str], int]  # key, values, times: the key's values are values * times


# Runs hold no cycles, so the encoder's check for them (a dict insert and delete per list
# and tuple, a third of its time here) is switched off.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


class IntermediateError(Exception):
    """An intermediate file is truncated, corrupted, or not one of ours."""


def run_of(key: str, values: list[str]) -> Run:
    """The run for one key: its value once and a count when all its values are equal."""
    first = values[0]
    if len(values) > 1 and values.count(first) == len(values):  # list.count: a C loop
        return (key, [first], len(values))
    return (key, values, 1)


def encode(runs: list[Run]) -> bytes:
    """One intermediate file's bytes: the header line, then the runs as compact JSON."""
    payload = _ENCODER.encode(runs).encode("utf-8")
    header = f"{MAGIC} {VERSION} {len(payload)} {zlib.crc32(payload):08x}\n"
    return header.encode("ascii") + payload


def decode(data: bytes, name: str) -> list[Run]:
    """The runs in one intermediate file's bytes; IntermediateError (naming name) if they are damaged."""
    header, newline, payload = data.partition(b"\n")
    fields = header.split()
    if not newline or len(fields) != 4 or fields[0] != MAGIC.encode() or fields[1] != str(VERSION).encode():
        raise IntermediateError(f"intermediate file {name!r} has no valid header (not written by this worker?)")
    try:
        size, crc = int(fields[2]), int(fields[3], 16)
    except ValueError:
        raise IntermediateError(f"intermediate file {name!r} has a malformed header: {header[:80]!r}") from None
    if len(payload) != size:
        raise IntermediateError(
            f"intermediate file {name!r} is truncated or damaged: {len(payload)} bytes of runs, its header says {size}"
        )
    if zlib.crc32(payload) != crc:
        raise IntermediateError(f"intermediate file {name!r} is corrupted: its checksum does not match")
    try:
        runs: Any = json.loads(payload)
    except ValueError as e:  # a writer bug: the checksum matched what it wrote
        raise IntermediateError(f"intermediate file {name!r} holds invalid JSON: {e}") from None
    if not isinstance(runs, list):
        raise IntermediateError(f"intermediate file {name!r} holds {type(runs).__name__}, not a list of runs")
    return runs


def read(path: str) -> list[Run]:
    """The runs in the intermediate file at path; IntermediateError if it is damaged."""
    with open(path, "rb") as f:
        return decode(f.read(), os.path.basename(path))
