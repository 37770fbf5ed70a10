"""What every command line under tools/ and benchmarks/ shares.

* :class:`ArgumentParser`: bad usage is one line on stderr (``prog: error: ...``) and exit 2,
  not argparse's usage block followed by the message;
* argument types with ranges (:func:`int_in`, :func:`number_in`, :func:`int_list`), so a value
  out of range is refused while parsing, naming the option, rather than failing later;
* :func:`run`: the entry point's wrapper, so Ctrl-C ends the program with one line
  (``prog: interrupted``, no traceback) and exit status 130, as a shell reports a process
  killed by SIGINT.

The lab programs (``python -m mr.worker`` ...) use it too, so every command line behaves alike.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import NoReturn

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with a bad command line reported in one line (``--help`` has the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _integer_range(low: int, high: int | None) -> str:
    """'a positive integer', 'an integer from 1 to 10', ...: what an int_in type expects."""
    if high is not None:
        return f"an integer from {low} to {high}"
    return {0: "a non-negative integer", 1: "a positive integer"}.get(low, f"an integer >= {low}")


def int_in(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer with low <= value <= high (high None: no upper bound)."""
    wanted = _integer_range(low, high)

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    return parse


def number_in(high: float | None = None, unit: str = "") -> Callable[[str], float]:
    """An argparse type: a finite number above 0 and at most high (None: any finite), e.g. seconds."""
    limit = "" if high is None else f" and at most {high:g}"
    wanted = f"a {'finite ' if high is None else ''}number{f' of {unit}' if unit else ''} above 0{limit}"
    upper = math.inf if high is None else high

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if not (math.isfinite(value) and 0 < value <= upper):  # also refuses nan
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    return parse


def int_list(low: int, high: int) -> Callable[[str], list[int]]:
    """An argparse type: comma-separated integers, each from low to high, at least one."""
    item = int_in(low, high)

    def parse(text: str) -> list[int]:
        values = [item(part.strip()) for part in text.split(",") if part.strip()]
        if not values:
            raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
        return values

    return parse


def run(prog: str, main: Callable[[], int | None]) -> NoReturn:
    """Exit with main()'s status (None: 0); on Ctrl-C, with "prog: interrupted" and 130.

    The programs clean up on their way out (try/finally: temp files, sockets, child
    processes), so an interrupt needs nothing more than this quiet exit."""
    try:
        status = main()
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        status = EXIT_INTERRUPTED
    sys.exit(status or 0)
