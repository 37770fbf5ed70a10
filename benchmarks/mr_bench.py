"""MapReduce figures (prints, asserts nothing): word count speed-up, and the straggler effect.

    python benchmarks/mr_bench.py [--mb 40] [--files 16] [--workers 1,2,4] [--repeat 1]

1. Word count over a generated corpus (default 40 MB in 16 files): wall time of mrsequential,
   then of a job with 1, 2 and 4 worker processes. A job's time runs from starting the
   workers (the coordinator is already listening) until the first worker exits (workers
   exit only once the job is over; a straggler may still sleep on a copy), so the
   coordinator's once-a-second Done() poll and its 1 s linger are not counted. Beside it,
   the CPU seconds of all the run's processes and the load average: on a shared machine
   the wall time says more about the neighbours than about the code.
2. Straggler: word count over the eight generated books with three workers, one of them
   deliberately slow (its map sleeps SLOW_MAP_S first: a machine ten times slower, yet
   under the handout's 10 s reassignment rule), with backup tasks on and with
   --no-backups. Every job's output is checked against mrsequential's.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mr.inputs import write_books, write_corpus
from tools.cli import ArgumentParser, int_in, int_list, number_in, run

REPO = Path(__file__).resolve().parents[1]

WC = REPO / "mr" / "apps" / "wc.py"
SLOW_MAP_S = 8.0
SLOW_APP = f'''"""wc, but every map first sleeps {SLOW_MAP_S} s: a straggler."""
import time
from mr.apps import wc

def map(filename, contents):
    time.sleep({SLOW_MAP_S})
    return wc.map(filename, contents)

reduce = wc.reduce
'''


def env_for(socket_path: str) -> dict[str, str]:
    return dict(
        os.environ,
        MR_SOCKET=socket_path,
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
    )


def sorted_output(folder: Path) -> list[str]:
    lines: list[str] = []
    for path in folder.glob("mr-out*"):
        lines.extend(line for line in path.read_text().splitlines() if line)
    return sorted(lines)


def children_cpu() -> float:
    """CPU seconds (user + system) of every child process that has exited and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_sequential(folder: Path, inputs: list[Path]) -> tuple[float, float, list[str]]:
    """mrsequential; returns (seconds, CPU seconds, sorted output)."""
    folder.mkdir()
    cpu = children_cpu()
    start = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "mr.sequential", str(WC), *map(str, inputs)], cwd=folder, env=env_for(""), check=True
    )
    return time.monotonic() - start, children_cpu() - cpu, sorted_output(folder)


def run_job(
    folder: Path, inputs: list[Path], apps: list[Path], coordinator_opts: tuple[str, ...] = ()
) -> tuple[float, float, list[str]]:
    """One job: coordinator, then one worker per app; returns (seconds, its processes' CPU seconds, sorted output)."""
    folder.mkdir()
    cpu = children_cpu()
    sock = str(folder / "s.sock")
    env = env_for(sock)
    processes: list[subprocess.Popen[bytes]] = []
    with open(folder / "log.txt", "wb") as log:
        # The job's processes share a process group of their own, the coordinator's, so that
        # one kill ends them all.
        coordinator = _start(
            [sys.executable, "-m", "mr.coordinator", *coordinator_opts, *map(str, inputs)], 0, folder, env, log
        )
        processes.append(coordinator)
        try:
            deadline = time.monotonic() + 30
            while not os.path.exists(sock):  # a setup wait, outside the measured interval
                if time.monotonic() > deadline or coordinator.poll() is not None:
                    raise RuntimeError(f"coordinator did not start; see {folder / 'log.txt'}")
                time.sleep(0.01)
            start = time.monotonic()
            for app in apps:
                processes.append(
                    _start([sys.executable, "-m", "mr.worker", str(app)], coordinator.pid, folder, env, log)
                )
            workers = processes[1:]
            # Workers exit only once the job is over (test-mr.sh's early exit test), so the first
            # exit marks the job's end; a straggler may still be busy with a copy nobody needs.
            while all(w.poll() is None for w in workers):
                time.sleep(0.005)
            elapsed = time.monotonic() - start
            for p in processes:
                p.wait()
        finally:  # Ctrl-C or an error: leave no coordinator or worker behind
            _kill_group(coordinator.pid)
            for p in processes:
                p.wait()
    return elapsed, children_cpu() - cpu, sorted_output(folder)


def _start(args: list[str], group: int, folder: Path, env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """Start one of a job's processes in process group ``group`` (0: a new one of its own),
    with Ctrl-C held off until it has started. Interrupted halfway, Popen would leave a child
    that is in no list to wait for and, if it had not joined the group yet, out of reach of
    the group's kill: alive after the benchmark (seen under load). The child gets SIGINT
    back before it runs the program."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def join_group() -> None:  # in the child, before exec (process_group= would need Python 3.11)
        os.setpgid(0, group)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)

    try:
        return subprocess.Popen(args, cwd=folder, env=env, stdout=log, stderr=log, preexec_fn=join_group)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # every member has exited


def check(name: str, got: list[str], want: list[str]) -> str:
    return "ok" if got == want else f"WRONG OUTPUT ({name}: {len(got)} lines, want {len(want)})"


def bench_speedup(work: Path, mb: float, files: int, worker_counts: list[int], repeat: int) -> None:
    corpus = work.parent / f"py6824-mr-bench-corpus-{mb:g}mb-{files}"
    if not corpus.is_dir() or len(list(corpus.glob("bench-*.txt"))) != files:
        shutil.rmtree(corpus, ignore_errors=True)
        print(f"generating a {mb:g} MB corpus in {corpus} ...", flush=True)
        write_corpus(corpus, mb, files)
    inputs = sorted(corpus.glob("bench-*.txt"))
    size = sum(p.stat().st_size for p in inputs) / 1e6
    print(f"\nword count, {size:.1f} MB in {len(inputs)} files, nReduce 10, {os.cpu_count()} cores")
    print("  (the best of --repeat runs; CPU: user + system seconds of all the run's processes)")
    seq, seq_cpu = float("inf"), float("inf")
    want: list[str] = []
    for i in range(repeat):
        t, cpu, want = run_sequential(work / f"seq-{i}", inputs)
        seq, seq_cpu = min(seq, t), min(seq_cpu, cpu)
    print(f"  {'sequential':<12} {seq:7.2f} s  CPU {seq_cpu:6.2f} s  (load {os.getloadavg()[0]:.1f})")
    one = None
    for n in worker_counts:
        best, best_cpu, status = float("inf"), float("inf"), "ok"
        for i in range(repeat):
            t, cpu, got = run_job(work / f"wc-{n}-{i}", inputs, [WC] * n)
            best, best_cpu = min(best, t), min(best_cpu, cpu)
            if check("wc", got, want) != "ok":
                status = check("wc", got, want)
        one = best if n == 1 else one
        vs_one = f"  {one / best:4.2f}x vs 1 worker" if one else ""
        label = f"{n} worker{'s' if n > 1 else ''}"
        print(
            f"  {label:<12} {best:7.2f} s  CPU {best_cpu:6.2f} s  (load {os.getloadavg()[0]:.1f})  "
            f"{seq / best:4.2f}x vs sequential{vs_one}  {status}"
        )


def bench_straggler(work: Path, repeat: int) -> None:
    books = work / "books"
    inputs = write_books(books)
    slow = work / "slow_wc.py"
    slow.write_text(SLOW_APP)
    _, _, want = run_sequential(work / "seq-books", inputs)
    print(f"\nstraggler: word count over the 8 books, 2 normal workers + 1 whose maps sleep {SLOW_MAP_S:g} s")
    results = {}
    for label, opts in (("backups on", ()), ("backups off", ("--no-backups",))):
        best, status = float("inf"), "ok"
        for i in range(repeat):
            t, _, got = run_job(work / f"strag-{label.split()[1]}-{i}", inputs, [slow, WC, WC], opts)
            best = min(best, t)
            if check(label, got, want) != "ok":
                status = check(label, got, want)
        results[label] = best
        print(f"  {label:<12} {best:7.2f} s  {status}")
    cut = 1 - results["backups on"] / results["backups off"]
    print(f"  backup tasks cut the job time by {cut:.0%}")


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="mr_bench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=number_in(10_000, "MB"), default=40.0, help="corpus size for the speed-up figures")
    parser.add_argument("--files", type=int_in(1, 1000), default=16, help="corpus files (map tasks)")
    parser.add_argument("--workers", type=int_list(1, 64), default=[1, 2, 4], help="worker counts to time")
    parser.add_argument("--repeat", type=int_in(1, 100), default=1, help="runs per figure; the best is printed")
    parser.add_argument("--skip-speedup", action="store_true")
    parser.add_argument("--skip-straggler", action="store_true")
    opts = parser.parse_args(argv)
    base = Path(tempfile.gettempdir())
    work = Path(tempfile.mkdtemp(prefix="py6824-mr-bench-", dir=base))
    try:
        if not opts.skip_speedup:
            bench_speedup(work, opts.mb, opts.files, opts.workers, opts.repeat)
        if not opts.skip_straggler:
            bench_straggler(work, opts.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    run("mr_bench", main)
