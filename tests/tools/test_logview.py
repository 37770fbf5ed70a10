"""Tests of the debug-log parser (tools/debuglog.py) and the terminal viewer (tools/logview.py).

The fixtures are real runs, stdout and stderr merged as a stress iteration's log is:
raft_2a.log is ``PY6824_DEBUG=1 pytest -k test_re_election_2a -s``; raft_2b_timeout.log is
test_fail_agree_2b killed by ``--timeout 3`` (its thread dump trimmed to two stacks). Their
event lines were since rewritten, times and columns unchanged, in the event format of
labrpc/debug.py (``vote-granted cand=S1``) when it replaced the free phrases the tools matched.
test_timeline.py's live test checks that what Raft writes today is what the tools read.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from labrpc import debug
from tools import debuglog, logview

ROOT = Path(__file__).resolve().parents[2]

FIXTURES = Path(__file__).parent / "fixtures"
RE_ELECTION = FIXTURES / "raft_2a.log"
TIMEOUT_2B = FIXTURES / "raft_2b_timeout.log"
WIDTH = 120


def view(capsys: pytest.CaptureFixture[str], *args: str, log: Path = RE_ELECTION) -> list[str]:
    """The viewer's plain output (captured stdout is not a terminal) as lines."""
    assert logview.main([str(log), "--width", str(WIDTH), *args]) == 0
    return capsys.readouterr().out.splitlines()


def line_with(lines: list[str], text: str) -> str:
    found = [line for line in lines if text in line]
    assert found, f"no line with {text!r}"
    return found[0]


# --------------------------------------------------------------------------- the parser


def test_parse_line_reads_every_field() -> None:
    line = debuglog.parse_line("00000514 VOTE S1  T1   C vote-received voter=S0 votes=2\n", 7)
    assert line == debuglog.DebugLine(
        514,
        "VOTE",
        1,
        1,
        "C",
        "vote-received voter=S0 votes=2",
        "00000514 VOTE S1  T1   C vote-received voter=S0 votes=2",
        7,
        event="vote-received",
        fields={"voter": 0, "votes": 2},
    )
    tester = debuglog.parse_line("00000538 TEST --  T-   - disconnect server=S1")
    assert tester is not None and (tester.peer, tester.term, tester.role) == (None, None, "-")
    assert (tester.event, tester.fields) == ("disconnect", {"server": 1})
    assert debuglog.parse_line("Test (2A): election after network failure ...") is None
    assert debuglog.parse_line("  ... Passed --   4.5  3  110    4400    0") is None


# A value of each field kind, as a writer passes it and as the reader gives it back.
SAMPLES: dict[str, tuple[object, object]] = {
    "peer": (2, 2),
    "group": (101, 101),
    "int": (-1, -1),
    "ints": ([100, 0, 101], (100, 0, 101)),
    "peers": ([0, 3], (0, 3)),
    "str": ('Test (2A): "x" y', 'Test (2A): "x" y'),
    "repr": ("a b", "'a b'"),
}


@pytest.mark.parametrize("name", sorted(debug.EVENTS))
def test_every_declared_event_reads_back_as_written(name: str) -> None:
    """The writers (labrpc.debug.event) and the reader (tools.debuglog) share one table: every
    event, with all its fields or only the required ones, and a free phrase, reads back."""
    ev = debug.EVENTS[name]
    for chosen in (ev.fields, [f for f in ev.fields if f.required]):
        fields = {f.name: SAMPLES[f.kind][0] for f in chosen}
        text = debug.format_event(name, fields, "log(snap=(0,T0) last=(6,T1))")
        line = debuglog.parse_line(f"00000001 {ev.topic:<4} S1  T2   L {text}")
        assert line is not None and line.event == name, text
        assert line.fields == {f.name: SAMPLES[f.kind][1] for f in chosen}, text
        assert line.note == "log(snap=(0,T0) last=(6,T1))"


def test_an_event_is_written_only_as_declared_and_anything_else_stays_a_plain_line() -> None:
    with pytest.raises(TypeError, match="undeclared event 'voted'"):
        debug.event("voted", 1, 2, "F", cand=0)
    with pytest.raises(TypeError, match=r"unknown fields \['candidate'\], missing \['cand'\]"):
        debug.format_event("vote-granted", {"candidate": 0})
    for text in (
        "VOTE S1  T2   F vote-granted",  # its field missing
        "VOTE S1  T2   F vote-granted cand=2",  # a peer is S<n>
        "APND S1  T2   F vote-granted cand=S2",  # another topic's
        "VOTE S1  T2   F voted for S2",  # free text
    ):
        line = debuglog.parse_line(f"00000001 {text}")
        assert line is not None and (line.event, line.fields) == (None, {}), text


def test_a_debug_line_after_pytest_progress_text_is_split_off() -> None:
    begin = "00000035 TEST --  T-   - begin test=X"
    entries = list(debuglog.parse_lines([f"tests/raft/test_raft.py {begin}\n"]))
    assert entries == [
        debuglog.OtherLine("tests/raft/test_raft.py", 1),
        debuglog.DebugLine(35, "TEST", None, None, "-", "begin test=X", begin, 1, "begin", {"test": "X"}),
    ]


def test_topics_by_code_or_name_and_unknown_ones_rejected() -> None:
    assert debuglog.topic_codes("vote, LEAD,commit,") == {"VOTE", "LEAD", "CMIT"}
    # Lab 4's: the controller's and a shard group's rsm, configurations, shard moves, deletions.
    assert debuglog.topic_codes("ctrler,shardkv,config,migrate,gc") == {"CTRL", "SKV", "CONF", "MIGR", "GC"}
    with pytest.raises(ValueError, match="unknown topic 'votes'"):
        debuglog.topic_codes("votes")


def test_fixture_peers_and_debug_lines() -> None:
    entries = debuglog.read_entries(RE_ELECTION)
    assert debuglog.peers_of(entries) == [0, 1, 2]
    assert sum(isinstance(e, debuglog.DebugLine) for e in entries) == 84


# --------------------------------------------------------------------------- the viewer


def test_one_column_per_peer(capsys: pytest.CaptureFixture[str]) -> None:
    lines = view(capsys)
    header = lines[0]
    assert header.split() == ["ms", "S0", "S1", "S2"]
    # Each peer's line starts where its header does.
    for text, peer in (("vote-received voter=S0", "S1"), ("vote-granted cand=S0", "S2"), ("became role=leader", "S1")):
        row = line_with(lines, text)
        assert row.index("VOTE" if "vote" in text else "LEAD") == header.index(peer), row
    assert line_with(lines, "00000931 PERS T2 C saved 28 bytes").startswith("00000931 PERS")  # S0


def test_tester_and_non_debug_lines_span_the_full_width(capsys: pytest.CaptureFixture[str]) -> None:
    lines = view(capsys)
    assert "00000538 TEST disconnect server=S1" in lines
    assert "Test (2A): election after network failure ..." in lines
    assert "tests/raft/test_raft.py" in lines  # the prefix, split from the debug line after it
    # A traceback line longer than the width stays one line (soft wrap): greppable.
    lines = view(capsys, log=TIMEOUT_2B)
    traceback_line = '  File "/root/.pyenv/versions/3.11.7/lib/python3.11/threading.py", line 1045, in _bootstrap_inner'
    assert traceback_line in lines
    assert "+" * 35 + " Timeout " + "+" * 36 in lines


def test_only_ignore_and_peers_filters(capsys: pytest.CaptureFixture[str]) -> None:
    only = "\n".join(view(capsys, "--only", "vote"))
    assert "vote-granted cand=S1" in only and "PERS" not in only and "TEST" not in only
    assert "Test (2A): election after network failure ..." in only  # other lines stay

    ignored = "\n".join(view(capsys, "--ignore", "PERS,test"))
    assert "became role=candidate" in ignored and "saved 28 bytes" not in ignored and "TEST" not in ignored

    lines = view(capsys, "--peers", "0,2")
    assert lines[0].split() == ["ms", "S0", "S2"]
    text = "\n".join(lines)
    assert "voter=S0" not in text  # S1's line
    assert "vote-granted cand=S1" in text and "00000538 TEST disconnect server=S1" in text


def test_time_window(capsys: pytest.CaptureFixture[str]) -> None:
    text = "\n".join(view(capsys, "--from", "900", "--to", "1100"))
    assert "00000931" in text and "00001017" in text
    assert "00000514" not in text and "00001528" not in text
    assert "test session starts" not in text  # before any debug line: outside a --from window


def test_plain_output_has_no_escape_codes_or_trailing_blanks(capsys: pytest.CaptureFixture[str]) -> None:
    lines = view(capsys, "--plain")
    assert not any("\x1b[" in line for line in lines)
    assert all(line == line.rstrip() for line in lines)


def test_colour_on_a_terminal_uses_the_topic_palette() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="truecolor", width=WIDTH)
    entries = debuglog.read_entries(RE_ELECTION)
    logview.ColumnRenderer(console, [0, 1, 2]).render(entries)
    vote = debuglog.TOPICS["VOTE"].colour.lstrip("#")
    rgb = ";".join(str(int(vote[i : i + 2], 16)) for i in (0, 2, 4))
    assert f"38;2;{rgb}" in out.getvalue()


def test_reads_stdin_and_is_plain_when_piped() -> None:
    argv = [sys.executable, "-m", "tools.logview", "--only", "lead", "--width", "160"]
    proc = subprocess.run(
        argv, cwd=ROOT, input=RE_ELECTION.read_text(), capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "became role=leader" in proc.stdout and "\x1b[" not in proc.stdout


def test_unknown_topic_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        logview.main([str(RE_ELECTION), "--only", "nonsense"])
    assert exc.value.code == 2
    assert "unknown topic 'nonsense'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x7fELF\x02\x01\x01\x00\xff\xff", "not UTF-8 text (byte 0xff at offset 8)"),
        (b"\x00" * 64, "binary data"),
        (
            b"============ test session starts ============\n1 passed in 0.01s\n",
            "no line in it is a debug line (was it written with PY6824_DEBUG set?)",
        ),
        (b"", "no line in it is a debug line (was it written with PY6824_DEBUG set?)"),
    ],
    ids=["not-utf8", "nul-bytes", "text-without-debug-lines", "empty"],
)
def test_input_that_is_not_a_debug_log_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, reason: str
) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(content)
    assert logview.main([str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # not even the column header
    assert captured.err == f"logview: {path}: not a py6824 debug log: {reason}\n"


def test_stdin_that_is_not_a_debug_log_is_refused() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.logview"],
        cwd=ROOT,
        input=b"\xff\xfe binary",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2 and proc.stdout == b""
    assert proc.stderr == b"logview: stdin: not a py6824 debug log: not UTF-8 text (byte 0xff at offset 0)\n"


def test_a_missing_file_is_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.logview", "no-such.log"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr == "logview: [Errno 2] No such file or directory: 'no-such.log'\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--width", "10"], "argument --width: expected an integer from 40 to 10000, got '10'"),
        (["--from", "-5"], "argument --from: expected a non-negative integer, got '-5'"),
        (["--to", "soon"], "argument --to: expected a non-negative integer, got 'soon'"),
        (["--from", "900", "--to", "100"], "--from 900 is after --to 100: the window is empty"),
        (["--peers", "0,x"], "argument --peers: expected peer numbers like 0,2, got '0,x'"),
        (["--peers", "S-1"], "argument --peers: expected peer numbers like 0,2, got 'S-1'"),
    ],
    ids=["narrow", "negative-from", "word-to", "empty-window", "bad-peer", "negative-peer"],
)
def test_bad_arguments_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        logview.main([str(RE_ELECTION), *args])
    assert exc.value.code == 2
    assert capsys.readouterr().err == f"python -m tools.logview: error: {message} (see --help)\n"
