"""The sequential reference (course: main/mrsequential.go).

    python -m mr.sequential APP.py INPUT...

Calls map on each input (filename exactly as given, contents), groups every value by key,
and writes one "key reduce(key, values)" line per key, in key order, to mr-out-0. The tests
compare a distributed job's sorted output against this one's.

Deviation: mrsequential sorts all pairs by key and reduces each run of equal keys; we group
in a dict and sort the distinct keys, which gives the same lines (the course's sort.Sort is
not stable, so value order was never promised) in far less memory for a 40 MB corpus.
"""

from __future__ import annotations

import os
import sys
import traceback

from mr.common import AppError, check_inputs, create_temp, format_output, load_app, output_name, read_input

OUTPUT = output_name(0)


def run(app_path: str, files: list[str], folder: str = ".") -> None:
    """Run the whole job in this process; raises AppError or the app's own exception."""
    app = load_app(app_path)
    groups: dict[str, list[str]] = {}
    for name in files:
        for key, value in app.map(name, read_input(name)):
            group = groups.get(key)
            if group is None:
                groups[key] = [value]
            else:
                group.append(value)
    fd, tmp = create_temp(folder, "seq")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for key in sorted(groups):
                out.write(format_output(key, app.reduce(key, groups[key])))
        os.replace(tmp, os.path.join(folder, OUTPUT))
    except BaseException:
        os.remove(tmp)
        raise


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2:
        print("usage: python -m mr.sequential APP.py INPUT...", file=sys.stderr)
        return 2
    app_path, files = argv[0], argv[1:]
    error = check_inputs(files)
    if error is not None:
        print(f"mr.sequential: {error}", file=sys.stderr)
        return 1
    try:
        run(app_path, files)
    except AppError as e:
        print(f"mr.sequential: {e}", file=sys.stderr)
        return 1
    except Exception as e:
        where = traceback.extract_tb(e.__traceback__)[-1]
        print(f"mr.sequential: the app raised: {type(e).__name__}: {e} (at {where.filename}:{where.lineno})",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
