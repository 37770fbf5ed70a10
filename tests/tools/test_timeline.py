"""Tests of the HTML timeline (tools/timeline.py): the model built from real logs (see
test_logview.py for the fixtures), the page drawn from it, and the command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools import debuglog, timeline

ROOT = Path(__file__).resolve().parents[2]

FIXTURES = Path(__file__).parent / "fixtures"
RE_ELECTION = FIXTURES / "raft_2a.log"
TIMEOUT_2B = FIXTURES / "raft_2b_timeout.log"


def build(log: Path) -> timeline.Timeline:
    return timeline.build_timeline(debuglog.read_entries(log))


def build_lines(*lines: str) -> timeline.Timeline:
    return timeline.build_timeline(list(debuglog.parse_lines(lines)))


def arrows(tl: timeline.Timeline) -> set[tuple[int, int, int, int, str]]:
    return {(a.src, a.dst, a.t_src, a.t_dst, a.kind) for a in tl.arrows}


# --------------------------------------------------------------------------- the model


def test_roles_and_terms_of_the_re_election() -> None:
    tl = build(RE_ELECTION)
    assert tl.peers == [0, 1, 2]
    assert (tl.t_start, tl.t_end) == (35, 4531)
    leaders = [(b.peer, b.term, b.start) for b in tl.bands if b.role == "L"]
    assert leaders == [(1, 1, 514), (0, 2, 933), (2, 6, 3713)]
    candidates = {(b.peer, b.term) for b in tl.bands if b.role == "C"}
    assert {(2, 3), (2, 4), (2, 5), (1, 3), (1, 4), (1, 5)} <= candidates
    # Started by the tester as followers whose term is not logged until their first line.
    assert next((b.role, b.term, b.start) for b in tl.bands if b.peer == 2) == ("F", None, 37)
    assert all(b.end > b.start for b in tl.bands)
    assert [s.label for s in tl.sections] == ["Test (2A): election after network failure"]


def test_disconnections_from_the_tester_lines() -> None:
    spans = {(s.peer, s.start, s.end, s.kind) for s in build(RE_ELECTION).spans}
    assert spans == {(1, 538, 1006, "disconnect"), (1, 1528, 3528, "disconnect"), (0, 1528, 3996, "disconnect")}


def test_votes_are_paired_request_to_grant_to_reply() -> None:
    found = arrows(build(RE_ELECTION))
    assert {
        (1, 0, 513, 514, "vote-request"),
        (0, 1, 514, 514, "vote-reply"),
        (1, 2, 513, 515, "vote-request"),
        (0, 2, 931, 933, "vote-request"),
    } <= found


def test_append_entries_rejections_and_stale_drops() -> None:
    tl = build(TIMEOUT_2B)
    found = arrows(tl)
    assert (1, 2, 2850, 2850, "append-rejected") in found  # stale-term AE, sender named in the text
    assert (1, 2, 2852, 2852, "append-rejected") in found  # "rejected prev=6": S1 leads T4
    assert (2, 1, 2852, 2853, "append-reply") in found  # the leader's "S2 rejected prev=6"
    assert all(a.dropped for a in tl.arrows if a.kind == "append-rejected")
    assert "2..6" in {m.label for m in tl.marks if m.kind == "apply" and m.peer == 2}
    assert {m.label for m in tl.marks if m.kind == "commit" and m.peer == 1} == {"1", "2", "3", "4", "5", "6"}
    assert tl.problems == ["+" * 35 + " Timeout " + "+" * 36]


def test_crash_restart_and_partition_spans() -> None:
    # The events of raft's config.py (crash1/start1) and kvraft's cluster.py (partition).
    tl = build_lines(
        "00000010 TEST --  T-   - make-config n=3 unreliable=False snapshot=False",
        "00000010 TEST --  T-   - crash server=S0",  # start1 crashes first: not a crash yet
        "00000011 TEST --  T-   - boot server=S0 last_applied=0",
        "00000011 TEST --  T-   - boot server=S1 last_applied=0",
        "00000011 TEST --  T-   - boot server=S2",
        "00000300 LEAD S0  T1   C became role=candidate",
        "00000400 TEST --  T-   - crash server=S0",
        "00000700 TEST --  T-   - boot server=S0 last_applied=0",
        "00000800 TEST --  T-   - partition a=S0 b=S1,S2",
        "00000900 TEST --  T-   - connect-all",
        "00001000 TEST --  T-   - cleanup",
        "00001000 LEAD S0  T-   - killed",
    )
    spans = {(s.peer, s.start, s.end, s.kind, s.label) for s in tl.spans}
    assert spans == {
        (0, 400, 700, "crash", "crashed"),
        (0, 800, 900, "partition", "partition {0}"),
        (1, 800, 900, "partition", "partition {1,2}"),
        (2, 800, 900, "partition", "partition {1,2}"),
    }
    assert [(m.peer, m.t) for m in tl.marks if m.kind == "restart"] == [(0, 700)]
    assert [(b.start, b.end, b.role, b.term) for b in tl.bands if b.peer == 0] == [
        (11, 300, "F", None),
        (300, 400, "C", 1),
        (700, 1000, "F", None),
    ]


def test_without_tester_lines_a_peer_starts_at_its_first_line() -> None:
    tl = build_lines(
        "00000100 VOTE S3  T2   C vote-asked last=0 last_term=0",
        "00000200 LEAD S3  T2   L became role=leader log(...)",
    )
    # The last band is kept however short: the log ends as S3 becomes leader.
    assert [(b.peer, b.start, b.end, b.role) for b in tl.bands] == [(3, 100, 200, "C"), (3, 200, 200, "L")]
    assert tl.peers == [3]


# --------------------------------------------------------------------------- the page


def test_page_has_a_lane_per_peer_bands_arrows_and_tester_spans() -> None:
    tl = build(RE_ELECTION)
    page = timeline.render_html(tl, "raft_2a.log")
    assert page.startswith("<!DOCTYPE html>")
    assert len(re.findall(r'class="lane lane-\d"', page)) == 3
    assert re.findall(r'class="who peer">(S\d)<', page) == ["S0", "S1", "S2"]
    assert page.count('class="band role-L"') == 3
    assert page.count('class="band role-C"') == len([b for b in tl.bands if b.role == "C"])
    assert ">T6</text>" in page  # term labels
    assert page.count('class="arrow vote-request"') == 4
    assert page.count('class="arrow append-rejected"') == 2
    assert 'marker-end="url(#cross-append-rejected)"' in page
    assert page.count('class="span span-disconnect"') == 3
    tester_lines = RE_ELECTION.read_text().count(" TEST --  T-   - ")
    assert page.count('class="mark test"') == tester_lines == 29  # a diamond per TEST line
    # Hover text: the log line itself, escaped.
    assert "<title>00000514 VOTE S1  T1   C vote-received voter=S0 votes=2</title>" in page
    assert "Test (2A): election after network failure" in page


def test_a_live_shardkv_log_draws_each_group_s_configs_and_shard_moves(tmp_path: Path) -> None:
    """Lab 4: a real (simulated) run of TestJoinLeave with its topics on, not a frozen fixture.
    Group 101 joins, takes shards 5-9 from group 100 (which deletes its copies), then group
    100 leaves and group 101 takes the rest: the lanes are per group and server, each group's
    config changes are flags naming the shards it then serves, each move a "+shard" where it
    arrived, a "-shard" where it left and a settled ring."""
    log = tmp_path / "join_leave.log"
    with log.open("w") as stderr:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-s",
                "-p",
                "no:cacheprovider",
                "--sim",
                "--seed",
                "5",
                "tests/shardkv/test_shardkv.py::test_join_leave_4b",
            ],
            cwd=ROOT,
            env={**os.environ, "PY6824_DEBUG": "CONF,MIGR,GC,TEST"},
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stdout
    tl = build(log)
    assert tl.grouped
    assert {("G100", 0), ("G101", 0), ("G102", 0)} <= set(tl.lanes)
    configs = {(m.group, m.label) for m in tl.marks if m.kind == "config"}
    assert ("G100", "c1 [0-9]") in configs and ("G101", "c2 [5-9]") in configs
    assert ("G100", "c2 [0-4]") in configs and ("G101", "c3 [0-9]") in configs
    moved_in = {m.label for m in tl.marks if m.kind == "shard-in" and m.group == "G101"}
    deleted = {m.label for m in tl.marks if m.kind == "shard-gc" and m.group == "G100"}
    assert moved_in == {f"+{s}" for s in range(10)}
    assert deleted == {f"\u2212{s}" for s in range(10)}
    page = timeline.render_html(tl, log.name)
    assert ">G101 S0<" in page and "shard-installed group=G101 shard=5 num=2 src=G100" in page


# --------------------------------------------------------------------------- live logs

# What Raft and the testers write today, drawn: the frozen fixtures above cannot notice a log
# line reworded or removed, these runs do. Each a real (simulated, deterministic) course test
# with every topic on, the three at once (about 3 s in all).
LIVE_RUNS = {
    # elections with refusals, AppendEntries rejections and back-ups, crashes and restarts,
    # disconnections
    "figure8": "tests/raft/test_raft.py::test_figure8_2c",
    "snapshot": "tests/raft/test_raft.py::test_snapshot_install_2d",  # InstallSnapshot
    "partition": "tests/kvraft/test_kvraft.py::test_one_partition_3a",  # kvraft's partitions
}


PYTEST_SIM = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "--sim", "--seed", "5"]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> dict[str, timeline.Timeline]:
    """Each LIVE_RUNS test's timeline, from its PY6824_DEBUG=1 log."""
    folder = tmp_path_factory.mktemp("live")
    runs = {}
    for name, test in LIVE_RUNS.items():
        log = folder / f"{name}.log"
        with log.open("w") as stderr:
            runs[name] = (
                log,
                subprocess.Popen(
                    [*PYTEST_SIM, test],
                    cwd=ROOT,
                    env={**os.environ, "PY6824_DEBUG": "1"},
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    text=True,
                ),
            )
    built = {}
    for name, (log, proc) in runs.items():
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{LIVE_RUNS[name]} failed:\n{out}\n{log.read_text()[-3000:]}"
        built[name] = build(log)
    return built


def _tip_lines(arrow: timeline.Arrow) -> list[debuglog.DebugLine]:
    """The log lines an arrow was drawn from (its tooltip): request first, if logged."""
    lines = [debuglog.parse_line(raw) for raw in arrow.tip.splitlines()]
    return [x for x in lines if x is not None]


def _tip_events(arrow: timeline.Arrow) -> list[tuple[str | None, int | None, dict[str, object]]]:
    """(event, peer, fields) of each of an arrow's lines."""
    return [(x.event, x.peer, dict(x.fields)) for x in _tip_lines(arrow)]


def _of_kind(tl: timeline.Timeline, kind: str) -> list[timeline.Arrow]:
    found = [a for a in tl.arrows if a.kind == kind]
    assert found, f"no {kind} arrow drawn from the live log: was its event's log call removed or changed?"
    return found


def test_a_live_raft_log_draws_votes_rejections_back_ups_commits_and_crashes(
    live: dict[str, timeline.Timeline],
) -> None:
    tl = live["figure8"]
    assert {b.role for b in tl.bands} == {"F", "C", "L"}
    # RequestVote: the candidate's vote-asked to the voter's vote-granted, of the same term.
    requests = _of_kind(tl, "vote-request")
    paired = [a for a in requests if a.t_src < a.t_dst or len(_tip_events(a)) == 2]
    assert paired, "no RequestVote paired with its vote-asked"
    for a in paired:
        assert _tip_events(a) == [("vote-asked", a.src, _tip_events(a)[0][2]), ("vote-granted", a.dst, {"cand": a.src})]
    # The vote back: the voter's grant to the candidate's vote-received.
    replies = _of_kind(tl, "vote-reply")
    for a in replies:
        assert _tip_events(a)[-1][:2] == ("vote-received", a.dst) and _tip_events(a)[-1][2]["voter"] == a.src
    assert any(len(_tip_events(a)) == 2 for a in replies), "no vote received paired with its grant"
    for a in _of_kind(tl, "vote-refused"):
        assert _tip_events(a)[-1][0] == "vote-refused" and _tip_events(a)[-1][2]["cand"] == a.src
    # AppendEntries refused by a follower, from the leader it names: for a failed consistency
    # check, the leader of that term (a band), whose back-up answers it.
    rejected = _of_kind(tl, "append-rejected")
    leaders = {(b.peer, b.term) for b in tl.bands if b.role == "L"}
    for a in rejected:
        event, peer, fields = _tip_events(a)[-1]
        assert (event, peer, fields["leader"]) == ("ae-rejected", a.dst, a.src)
    checks = [a for a in rejected if _tip_events(a)[-1][2]["why"] != "stale-term"]
    assert checks and all((a.src, _tip_lines(a)[-1].term) in leaders for a in checks)
    back_ups = _of_kind(tl, "append-reply")
    answered = [a for a in back_ups if len(_tip_events(a)) == 2]
    assert answered, "no back-up paired with the rejection it follows"
    for a in answered:
        (rej, follower, rf), (back, leader, bf) = _tip_events(a)
        assert (rej, back, follower, leader) == ("ae-rejected", "ae-back-up", a.src, a.dst)
        assert rf["leader"] == leader and bf["peer"] == follower and rf["prev"] == bf["prev"]
    # Commits, applies and starts with their indexes; the tester's crashes, restarts, cuts.
    kinds = {m.kind for m in tl.marks if m.label}
    assert {"commit", "apply", "start"} <= kinds
    assert all(m.label.isdigit() for m in tl.marks if m.kind == "commit")
    assert {s.kind for s in tl.spans} == {"crash", "disconnect"}
    assert any(m.kind == "restart" for m in tl.marks)
    assert [s.label for s in tl.sections] == ["Test (2C): Figure 8"]


def test_a_live_snapshot_log_draws_install_snapshot_and_a_kvraft_log_its_partitions(
    live: dict[str, timeline.Timeline],
) -> None:
    snaps = _of_kind(live["snapshot"], "snapshot")
    sent = [a for a in snaps if len(_tip_events(a)) == 2]
    assert sent, "no InstallSnapshot paired with its snap-sent"
    for a in sent:
        (s_ev, leader, sf), (i_ev, follower, i_f) = _tip_events(a)
        assert (s_ev, i_ev, leader, follower) == ("snap-sent", "snap-installed", a.src, a.dst)
        assert sf == {"to": a.dst, "index": i_f["index"]} and i_f["leader"] == a.src
    partitions = [s for s in live["partition"].spans if s.kind == "partition"]
    assert partitions and all(re.fullmatch(r"partition \{[\d,]+\}", s.label) for s in partitions)
    assert all(str(s.peer) in re.findall(r"\d+", s.label) for s in partitions)  # each in its own half


def test_page_is_self_contained() -> None:
    page = timeline.render_html(build(TIMEOUT_2B), "raft_2b_timeout.log")
    assert not re.search(r"https?:|//cdn|<link|<script src|@import|url\((?!#)", page)
    assert "<script>" in page and "<style>" in page and "<svg" in page


def test_command_line_writes_beside_the_log_or_to_o(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_bytes(RE_ELECTION.read_bytes())
    proc = subprocess.run(
        [sys.executable, "-m", "tools.timeline", str(log)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(tmp_path / "run.html")
    assert 'class="band role-L"' in (tmp_path / "run.html").read_text()
    assert timeline.main([str(log), "-o", str(tmp_path / "x.html")]) == 0
    assert (tmp_path / "x.html").exists()


def test_a_file_that_is_not_a_debug_log_is_refused_and_nothing_written(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("just some notes\n")
    binary = tmp_path / "core.bin"
    binary.write_bytes(bytes(range(256)))
    for log, reason in (
        (notes, "no line in it is a debug line (was it written with PY6824_DEBUG set?)"),
        (binary, "not UTF-8 text (byte 0x80 at offset 128)"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "tools.timeline", str(log)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr == f"timeline: {log}: not a py6824 debug log: {reason}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["core.bin", "notes.txt"]  # no .html


def test_a_log_named_html_is_not_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "run.html"
    log.write_bytes(RE_ELECTION.read_bytes())
    assert timeline.main([str(log)]) == 2
    assert capsys.readouterr().err == (
        f"timeline: {log}: the timeline would overwrite its own log; name another with -o\n"
    )
    assert log.read_bytes() == RE_ELECTION.read_bytes()
    assert timeline.main([str(log), "-o", str(tmp_path / "page.html")]) == 0


def test_a_missing_log_or_output_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert timeline.main([str(tmp_path / "none.log")]) == 2
    assert capsys.readouterr().err == f"timeline: [Errno 2] No such file or directory: '{tmp_path}/none.log'\n"
    assert timeline.main([str(RE_ELECTION), "-o", str(tmp_path / "no" / "x.html")]) == 2
    assert capsys.readouterr().err == f"timeline: [Errno 2] No such file or directory: '{tmp_path}/no/x.html'\n"
