"""The sequential reference (course: main/mrsequential.go).

    python -m mr.sequential [--output FILE] APP.py INPUT...

Calls map on each input (filename exactly as given, contents), groups every value by key,
and writes one "key reduce(key, values)" line per key, in key order, to mr-out-0 (as the
course's mrsequential) or to FILE, so that it can sit beside a distributed job's mr-out-*.
The tests compare a distributed job's sorted output against this one's.

Deviation: mrsequential sorts all pairs by key and reduces each run of equal keys; we group
in a dict and sort the distinct keys, which gives the same lines (the course's sort.Sort is
not stable, so value order was never promised) in far less memory for a 40 MB corpus.
"""

from __future__ import annotations

import os
import sys
import traceback

from mr.common import AppError, check_inputs, create_temp, format_output, load_app, output_name, read_input
from tools.cli import ArgumentParser
from tools.cli import run as run_program

OUTPUT = output_name(0)


def run(app_path: str, files: list[str], output: str = OUTPUT) -> None:
    """Run the whole job in this process into output; raises AppError or the app's own exception."""
    app = load_app(app_path)
    groups: dict[str, list[str]] = {}
    for name in files:
        for key, value in app.map(name, read_input(name)):
            group = groups.get(key)
            if group is None:
                groups[key] = [value]
            else:
                group.append(value)
    # The temp file sits beside the output: the same file system, so the rename is atomic.
    fd, tmp = create_temp(os.path.dirname(output) or ".", "seq")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for key in sorted(groups):
                out.write(format_output(key, app.reduce(key, groups[key])))
        os.replace(tmp, output)
    except BaseException:
        os.remove(tmp)
        raise


def check_output(path: str) -> str | None:
    """A clear message if path cannot be written (checked before the run, not after it), or None."""
    folder = os.path.dirname(path) or "."
    if os.path.isdir(path):
        return f"cannot write output {path!r}: it is a folder"
    if not os.path.isdir(folder):
        return f"cannot write output {path!r}: no folder {folder!r}"
    if not os.access(folder, os.W_OK):
        return f"cannot write output {path!r}: folder {folder!r} is not writable"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m mr.sequential", description=__doc__.split("\n\n")[0])
    parser.add_argument("app", metavar="APP.py", help="the app: a Python file defining map() and reduce()")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="input files")
    parser.add_argument("-o", "--output", default=OUTPUT, metavar="FILE", help=f"where to write (default {OUTPUT})")
    opts = parser.parse_args(argv)
    error = check_inputs(opts.inputs) or check_output(opts.output)
    if error is not None:
        print(f"mr.sequential: {error}", file=sys.stderr)
        return 1
    try:
        run(opts.app, opts.inputs, opts.output)
    except AppError as e:
        print(f"mr.sequential: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - the app's own bug: one line saying where, not a traceback
        where = traceback.extract_tb(e.__traceback__)[-1]
        print(
            f"mr.sequential: the app raised: {type(e).__name__}: {e} (at {where.filename}:{where.lineno})",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    run_program("mr.sequential", main)
