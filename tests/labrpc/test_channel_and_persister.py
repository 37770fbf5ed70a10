"""The unbuffered apply channel and the Persister."""

from __future__ import annotations

import pytest

import runtime
from labrpc import Channel, ChannelClosed
from raft.persister import Persister


def test_send_blocks_until_received():
    ch: Channel[int] = Channel()
    sent = runtime.Event()

    def sender() -> None:
        ch.send(1)
        sent.set()

    t = runtime.go(sender, name="sender")
    assert not sent.wait(0.2), "an unbuffered send must wait for a receiver"
    assert ch.recv() == 1
    assert sent.wait(2)
    t.join()


def test_values_arrive_in_order_from_one_sender():
    ch: Channel[int] = Channel()
    t = runtime.go(lambda: [ch.send(i) for i in range(100)] and ch.close(), name="sender")
    assert list(ch) == list(range(100))
    t.join()


@pytest.mark.parametrize("blocked", ["send", "recv"])
def test_close_wakes_a_blocked_sender_or_receiver(blocked: str):
    ch: Channel[int] = Channel()
    errors: list[str] = []

    def block() -> None:
        try:
            ch.send(7) if blocked == "send" else ch.recv()
        except ChannelClosed:
            errors.append(blocked)

    t = runtime.go(block, name=blocked)
    runtime.sleep(0.1)
    ch.close()
    t.join(2)
    assert errors == [blocked] and not t.is_alive()
    with pytest.raises(ChannelClosed):
        ch.recv()
    with pytest.raises(ChannelClosed):
        ch.send(1)


def test_a_value_handed_to_a_waiting_receiver_survives_a_close():
    """A send to a parked receiver completes at once, as in Go: the value is the receiver's."""
    ch: Channel[int] = Channel()
    got: list[int] = []
    t = runtime.go(lambda: got.append(ch.recv()), name="receiver")
    runtime.sleep(0.1)  # let the receiver park
    ch.send(5)
    ch.close()
    t.join(2)
    assert got == [5]


def test_many_senders_each_value_received_once():
    ch: Channel[int] = Channel()
    senders = [
        runtime.go(lambda k=k: [ch.send(k * 1000 + i) for i in range(200)], name=f"sender-{k}") for k in range(4)
    ]
    got = [ch.recv() for _ in range(800)]
    for t in senders:
        t.join(2)
    assert sorted(got) == sorted(k * 1000 + i for k in range(4) for i in range(200))
    for k in range(4):  # one sender's values keep their order
        assert [v for v in got if v // 1000 == k] == [k * 1000 + i for i in range(200)]


def test_send_each_returns_only_once_its_last_value_is_taken():
    ch: Channel[int] = Channel()
    sent = runtime.Event()
    t = runtime.go(lambda: ch.send_each([1, 2, 3]) or sent.set(), name="sender")
    assert ch.recv() == 1
    assert ch.recv() == 2
    assert not sent.wait(0.2), "send_each is a loop of unbuffered sends: it waits for the last"
    assert ch.recv() == 3
    assert sent.wait(2)
    t.join(2)


def test_send_each_gives_parked_receivers_one_value_each_and_parks_with_the_rest():
    ch: Channel[int] = Channel()
    got: list[int] = []
    receivers = [runtime.go(lambda: got.append(ch.recv()), name=f"receiver-{k}") for k in range(3)]
    runtime.sleep(0.1)  # let the receivers park
    sent = runtime.Event()
    t = runtime.go(lambda: ch.send_each([1, 2, 3, 4]) or sent.set(), name="sender")
    for r in receivers:
        r.join(2)
    assert sorted(got) == [1, 2, 3]
    assert not sent.wait(0.2), "the fourth value has no receiver yet"
    assert ch.recv() == 4
    assert sent.wait(2)
    t.join(2)


def test_close_in_the_middle_of_send_each_raises_in_the_sender():
    ch: Channel[int] = Channel()
    errors: list[Exception] = []

    def sender() -> None:
        try:
            ch.send_each([1, 2, 3])
        except ChannelClosed as e:
            errors.append(e)

    t = runtime.go(sender, name="sender")
    assert ch.recv() == 1
    ch.close()
    t.join(2)
    assert len(errors) == 1 and not t.is_alive()
    with pytest.raises(ChannelClosed):
        ch.recv()


def test_send_each_and_send_mixed_each_value_received_once_in_each_senders_order():
    ch: Channel[int] = Channel()

    def batches(k: int) -> None:
        for start in range(0, 200, 10):
            ch.send_each([k * 1000 + i for i in range(start, start + 10)])

    def singles(k: int) -> None:
        for i in range(200):
            ch.send(k * 1000 + i)

    senders = [runtime.go(batches if k % 2 else singles, k, name=f"sender-{k}") for k in range(4)]
    got = [ch.recv() for _ in range(800)]
    for t in senders:
        t.join(2)
    assert sorted(got) == sorted(k * 1000 + i for k in range(4) for i in range(200))
    for k in range(4):
        assert [v for v in got if v // 1000 == k] == [k * 1000 + i for i in range(200)]


def test_persister_saves_pairs_atomically_and_copies():
    p = Persister()
    assert p.read_raft_state() == b"" and p.read_snapshot() == b"" and p.raft_state_size() == 0
    p.save(b"state", b"snap")
    p.save_raft_state(b"state2")
    assert (p.read_raft_state(), p.read_snapshot()) == (b"state2", b"snap")
    twin = p.copy()
    p.save(b"", b"")
    assert (twin.read_raft_state(), twin.read_snapshot()) == (b"state2", b"snap")
    assert (twin.raft_state_size(), twin.snapshot_size()) == (6, 4)
    buf = bytearray(b"abc")
    twin.save_raft_state(buf)
    buf[0] = ord("z")
    assert twin.read_raft_state() == b"abc"
