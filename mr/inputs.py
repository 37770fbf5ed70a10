"""Deterministic stand-ins for the course's eight Project Gutenberg books (no downloads).

    python -m mr.inputs FOLDER                        the 8 pg-*.txt files (about 3.3 MB in all)
    python -m mr.inputs FOLDER --mb 40 --files 16     a benchmark corpus, bench-NN.txt

Text is English-like: a Zipf-Mandelbrot word distribution (rank r has weight 1/(r + 2.7)), the
commonest English words at the top ranks, each book's own character names, sentences of
varied length with capitals and punctuation, dialogue, contractions, chapter headings and
70-column lines. The same seed always gives byte-identical files.
"""

from __future__ import annotations

import itertools
import random
import sys
import zlib
from pathlib import Path

from tools.cli import ArgumentParser, int_in, number_in, run

# The course's file names, with sizes close to the real books'.
BOOKS = {
    "pg-being_ernest.txt": 139_000,
    "pg-dorian_gray.txt": 450_000,
    "pg-frankenstein.txt": 440_000,
    "pg-grimm.txt": 540_000,
    "pg-huckleberry_finn.txt": 594_000,
    "pg-metamorphosis.txt": 139_000,
    "pg-sherlock_holmes.txt": 594_000,
    "pg-tom_sawyer.txt": 412_000,
}
SEED = 6824
VOCABULARY = 30_000
LINE_WIDTH = 70

_COMMON = """the and of to a in that he was it his i you with her had as for she not at but is him be my
on all have by which so this they me said from we were one what there would no if or an their them
when are been then who will now could up out more into do any little some man upon very your time
like about can well only did our must over us such should old before know see good how these down
after other may never much great its made yet came again first where here think come most away own
day through two shall eyes long without nothing went might once thought even just house hand too""".split()
_SYLLABLES = (
    "ba be bi bo bu ca ce ci co da de di do du fa fe fi fo ga ge go ha he hi ho la le li lo "
    "lu ma me mi mo mu na ne ni no nu pa pe pi po ra re ri ro ru sa se si so su ta te ti to "
    "tu va ve vi wa we wi ya yo za ar er ir or ur an en in on un al el il ol st th sh ch ght "
    "ing ed ly ness ment tion ous ful"
).split()


def vocabulary(rng: random.Random, size: int = VOCABULARY) -> list[str]:
    """Common English words first, then made-up words of 1-4 syllables, all distinct."""
    words = list(dict.fromkeys(_COMMON))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((1, 2, 2, 2, 3, 3, 4))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf_cum_weights(n: int) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank + 2.7) for rank in range(1, n + 1)))


class _Author:
    """Writes one book: a shared vocabulary plus the book's own names, sentence by sentence."""

    def __init__(self, seed: int, vocab: list[str], cum_weights: list[float]) -> None:
        self.rng = random.Random(seed)
        self.vocab = vocab
        self.cum_weights = cum_weights
        self.names = [w.capitalize() for w in self.rng.sample(vocab[2000:], 12)]
        self.chapter = 0

    def text(self, size: int) -> str:
        paragraphs: list[str] = []
        total = 0
        while total < size:
            para = self._heading() if self.rng.random() < 0.02 or not paragraphs else self._paragraph()
            paragraphs.append(para)
            total += len(para) + 2
        return "\n\n".join(paragraphs)[:size].rstrip() + "\n"

    def _heading(self) -> str:
        self.chapter += 1
        return f"CHAPTER {_roman(self.chapter)}."

    def _paragraph(self) -> str:
        sentences = [self._sentence() for _ in range(self.rng.randint(2, 8))]
        text = " ".join(sentences)
        if self.rng.random() < 0.25:
            text = f'"{text}" said {self.rng.choice(self.names)}.'
        return _wrap(text)

    def _sentence(self) -> str:
        n = max(3, min(45, int(self.rng.gauss(17, 8))))
        words = self.rng.choices(self.vocab, cum_weights=self.cum_weights, k=n)
        for i in range(n):
            r = self.rng.random()
            if r < 0.04:
                words[i] = self.rng.choice(self.names)
            elif r < 0.05:
                words[i] += self.rng.choice(("'s", "n't", "'ll", "-" + self.rng.choice(self.vocab[:500])))
            elif r < 0.055:
                words[i] = str(self.rng.randint(1, 1900))
            if self.rng.random() < 0.07 and i < n - 1:
                words[i] += self.rng.choice((",", ",", ",", ";", ":"))
        words[0] = words[0].capitalize()
        return " ".join(words) + self.rng.choice((".", ".", ".", ".", "?", "!"))


def _wrap(text: str) -> str:
    lines: list[str] = []
    line: list[str] = []
    width = 0
    for word in text.split(" "):
        if line and width + 1 + len(word) > LINE_WIDTH:
            lines.append(" ".join(line))
            line, width = [], 0
        width += len(word) + (1 if line else 0)
        line.append(word)
    lines.append(" ".join(line))
    return "\n".join(lines)


def _roman(n: int) -> str:
    out = ""
    for value, letters in (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        while n >= value:
            out += letters
            n -= value
    return out


def write_files(folder: Path, sizes: dict[str, int], seed: int = SEED) -> list[Path]:
    """Write each named file with about its size in bytes; returns the paths, in the given order."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab = vocabulary(random.Random(seed))
    cum_weights = zipf_cum_weights(len(vocab))
    paths = []
    for name, size in sizes.items():
        author = _Author(seed ^ zlib.crc32(name.encode()), vocab, cum_weights)
        path = folder / name
        tmp = folder / f".{name}.tmp"
        try:
            tmp.write_text(author.text(size), encoding="utf-8")
            tmp.replace(path)
        except BaseException:  # a full disk or Ctrl-C: no stray temp file
            tmp.unlink(missing_ok=True)
            raise
        paths.append(path)
    return paths


def write_books(folder: Path, seed: int = SEED) -> list[Path]:
    """The eight pg-*.txt files the course's test-mr.sh reads."""
    return write_files(folder, BOOKS, seed)


def write_corpus(folder: Path, total_mb: float, n_files: int, seed: int = SEED) -> list[Path]:
    """n_files equal files, bench-NN.txt, of total_mb megabytes in all (for benchmarks)."""
    size = int(total_mb * 1_000_000 / n_files)
    return write_files(folder, {f"bench-{i:02d}.txt": size for i in range(n_files)}, seed)


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m mr.inputs", description="write generated input files")
    parser.add_argument("folder", type=Path, help="where to write them (created if missing)")
    parser.add_argument("--mb", type=number_in(unit="MB"), help="write a corpus of this many MB instead of the 8 books")
    parser.add_argument("--files", type=int_in(1), default=16, help="number of corpus files (with --mb; default 16)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"any integer (default {SEED})")
    opts = parser.parse_args(argv)
    if opts.folder.exists() and not opts.folder.is_dir():
        print(f"mr.inputs: cannot write to {str(opts.folder)!r}: it is a file, not a folder", file=sys.stderr)
        return 1
    try:
        if opts.mb is None:
            paths = write_books(opts.folder, opts.seed)
        else:
            paths = write_corpus(opts.folder, opts.mb, opts.files, opts.seed)
    except OSError as e:
        print(f"mr.inputs: cannot write to {str(opts.folder)!r}: {e.strerror or e}", file=sys.stderr)
        return 1
    for p in paths:
        print(f"{p} {p.stat().st_size}")
    return 0


if __name__ == "__main__":
    run("mr.inputs", main)
