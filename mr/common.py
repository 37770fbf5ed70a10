"""What the coordinator, the workers and mrsequential share: apps, hashing, file names, temp files.

An app is a Python file, loaded by path (the course loads a Go plugin), that defines

    map(filename: str, contents: str) -> list of (key, value) pairs, both str
    reduce(key: str, values: list[str]) -> str
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

MapFn = Callable[[str, str], Iterable[tuple[str, str]]]
ReduceFn = Callable[[str, list[str]], str]

# Hidden, so the course's globs (mr-out*, mr-worker-jobcount*) never see a half-written file.
TEMP_PREFIX = ".mr-tmp-"


class AppError(Exception):
    """The app file cannot be used: missing, broken, or without map/reduce."""


@dataclass(frozen=True)
class App:
    path: str
    map: MapFn
    reduce: ReduceFn


def load_app(path: str) -> App:
    """Load an app by file path (course: plugin.Open + Lookup("Map"/"Reduce"))."""
    if not os.path.isfile(path):
        raise AppError(f"app file {path!r} does not exist")
    name = "mr_app_" + "".join(c if c.isalnum() else "_" for c in Path(path).stem)
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    assert spec is not None  # a SourceFileLoader always yields a spec
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # so the app's own dataclasses/pickling can find it
    try:
        loader.exec_module(module)
    except Exception as e:  # SyntaxError, ImportError, anything the module body raises
        raise AppError(f"app {path!r} failed to load: {type(e).__name__}: {e}") from e
    fns = {}
    for fn_name, shape in (("map", "map(filename, contents)"), ("reduce", "reduce(key, values)")):
        fn = getattr(module, fn_name, None)
        if not callable(fn):
            raise AppError(
                f"app {path!r} defines no {fn_name}() function; an app must define "
                f"map(filename, contents) and reduce(key, values) (missing: {shape})"
            )
        fns[fn_name] = fn
    return App(path, fns["map"], fns["reduce"])


def ihash(key: str) -> int:
    """The course's ihash: FNV-1a 32-bit of the key's UTF-8 bytes, & 0x7fffffff; use ihash(key) % nReduce."""
    h = 0x811C9DC5
    for b in key.encode("utf-8", "surrogateescape"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h & 0x7FFFFFFF


def intermediate_name(map_task: int, reduce_task: int) -> str:
    return f"mr-{map_task}-{reduce_task}"  # handout: mr-X-Y


def output_name(reduce_task: int) -> str:
    return f"mr-out-{reduce_task}"  # handout: reduce task X writes mr-out-X


def read_input(filename: str) -> str:
    """An input file's text. Invalid UTF-8 becomes U+FFFD, which is not a letter (as Go sees RuneError)."""
    with open(filename, encoding="utf-8", errors="replace") as f:
        return f.read()


def check_inputs(files: list[str]) -> str | None:
    """A clear message for the first input that cannot be read, or None if all can."""
    for name in files:
        try:
            with open(name, "rb"):
                pass
        except OSError as e:
            return f"cannot read input file {name!r}: {e.strerror or e}"
    return None


def create_temp(folder: str, tag: str) -> tuple[int, str]:
    """A new temp file in folder (same file system, so the final rename is atomic); returns (fd, path)."""
    return tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{tag}-", dir=folder)


def remove_quietly(paths: Iterable[str]) -> None:
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def format_output(key: str, value: str) -> str:
    return f"{key} {value}\n"  # the course's "%v %v\n"
