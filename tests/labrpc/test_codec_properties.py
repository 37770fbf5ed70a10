"""Property tests of the codec (Hypothesis): every value it accepts comes back equal, alone,
inside a Raft RPC, and through RaftLog's spliced persisted state and a restart; any bytes at
all decode or raise CodecError, nothing else.

Profiles (tests/conftest.py): "ci" (the default, a few hundred examples per property) and
"long" (PY6824_HYPOTHESIS=long pytest tests/labrpc/test_codec_properties.py: thousands).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import raft
from labrpc import Channel, Network, codec
from raft.log import RaftLog
from raft.messages import AppendEntriesArgs, LogEntry
from raft.persist import encode_state


@codec.register
@dataclass
class Piece:
    number: int


@codec.register
@dataclass
class Bundle:
    pieces: list


@codec.register
@dataclass
class Layout:
    num: int
    pieces: list
    groups: dict = field(default_factory=dict)


@codec.register
@dataclass
class Tree:
    left: Any
    right: Any


@codec.register
@dataclass(frozen=True)
class Key:
    gid: int
    name: str


@codec.register
@dataclass
class Nothing:
    pass


keys = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.binary()
    | st.builds(Key, st.integers(), st.text(max_size=5)),
    lambda inner: st.lists(inner, max_size=3).map(tuple),
    max_leaves=6,
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**200), 2**200)
    | st.floats()
    | st.text()
    | st.binary()
    | st.builds(Piece, st.integers())
    | st.builds(Nothing)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(inner, max_size=5).map(tuple)
        | st.dictionaries(keys, inner, max_size=4)
        | st.builds(Bundle, st.lists(inner, max_size=4))
        | st.builds(Tree, inner, inner)
        | st.builds(
            Layout, st.integers(), st.lists(inner, max_size=10), st.dictionaries(st.integers(), inner, max_size=3)
        )
    ),
    max_leaves=25,
)


def same(a: Any, b: Any) -> bool:
    """Equality that also tells NaN from NaN-free values, -0.0 from 0.0, and the exact type."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if hasattr(a, "__dataclass_fields__"):
        return all(same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    return a == b


@given(values)
def test_decode_inverts_encode(value: Any):
    assert same(codec.decode(codec.encode(value)), value)


@given(values, values)
def test_commands_round_trip_inside_append_entries(first: Any, second: Any):
    args = AppendEntriesArgs(3, 1, 7, 2, [LogEntry(2, first), LogEntry(3, second)], 6)
    assert same(codec.decode(codec.encode(args)), args)


@given(st.lists(values, min_size=1, max_size=6))
def test_commands_round_trip_through_the_spliced_persisted_log(commands: list):
    # The outer stream has PersistentState's own type numbers; each spliced entry has its own.
    log = RaftLog(4, 1, [LogEntry(1, Piece(0))])
    log.append([LogEntry(2, c) for c in commands])
    state = codec.decode(encode_state(2, None, log))
    assert same(state.entries, [LogEntry(1, Piece(0))] + [LogEntry(2, c) for c in commands])


# Each example starts and kills a Raft peer: a seventh of the profile's examples.
@settings(max_examples=max(settings().max_examples // 7, 10), suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(values, min_size=1, max_size=4))
def test_commands_survive_a_restart(commands: list):
    persister = raft.Persister()
    log = RaftLog(entries=[LogEntry(1, c) for c in commands])
    persister.save_raft_state(encode_state(1, None, log))
    net = Network()
    rf = raft.make([net.make_end(i) for i in range(3)], 0, persister, Channel())
    try:
        with rf.mu:
            assert same([e.command for e in rf.log.entries_from(1)], commands)
    finally:
        rf.kill()
        net.cleanup()


def decodes_or_refuses(data: bytes) -> None:
    try:
        codec.decode(data)
    except codec.CodecError:
        pass


@given(st.binary(max_size=200))
def test_random_bytes_decode_or_raise_codec_error(data: bytes):
    decodes_or_refuses(data)


@given(values, st.data())
def test_mutated_encodings_decode_or_raise_codec_error(value: Any, data: st.DataObject):
    encoded = bytearray(codec.encode(value))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(encoded)))
        action = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        if action == "insert":
            encoded[position:position] = bytes([data.draw(st.integers(0, 255))])
        elif position < len(encoded):
            if action == "flip":
                encoded[position] = data.draw(st.integers(0, 255))
            else:
                del encoded[position]
    decodes_or_refuses(bytes(encoded))


# Length prefixes that lie: refused from the prefix alone, before any allocation or loop.
HUGE = bytes([0xFF] * 9 + [0x7F])  # a 10-byte varint, about 2**70


@pytest.mark.parametrize("tag", ["STR", "BYTES", "LIST", "TUPLE", "DICT", "BIG_INT", "NEW_STRUCT"])
def test_a_length_prefix_past_the_data_is_refused(tag: str):
    with pytest.raises(codec.CodecError, match="runs past the end"):
        codec.decode(bytes([getattr(codec, f"_{tag}")]) + HUGE + b"\x00" * 16)


def test_an_over_long_varint_is_refused():
    with pytest.raises(codec.CodecError, match="varint longer than 10 bytes"):
        codec.decode(bytes([codec._INT]) + b"\xff" * 1000 + b"\x01")


def test_nesting_is_bounded_both_ways():
    deep: list = []
    for _ in range(codec.MAX_DEPTH):
        deep = [deep]
    assert codec.decode(codec.encode(deep)) == deep
    with pytest.raises(codec.CodecError, match="nested deeper"):
        codec.encode([deep])
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(codec.CodecError, match="nested deeper"):
        codec.encode(cycle)
    with pytest.raises(codec.CodecError, match="nesting deeper"):
        codec.decode(bytes([codec._PART]) * 10_000 + bytes([codec._NONE]))


def test_a_part_keeps_its_meaning_wherever_it_is_spliced():
    part = codec.encode_part(Bundle([Piece(1), Piece(2)]), depth=1)
    outer = Layout(1, [Tree(None, None), codec.Encoded(part)])  # outer numbering: Layout 0, Tree 1
    assert codec.decode(codec.encode(outer)) == Layout(1, [Tree(None, None), Bundle([Piece(1), Piece(2)])])


@given(st.lists(values, max_size=5))
def test_an_encoded_list_is_the_list_of_its_parts(items: list):
    parts = [codec.encode_part(item, depth=2) for item in items]
    spliced = codec.encoded_list(len(parts), b"".join(parts))
    assert len(spliced) == len(items)
    assert same(codec.decode(codec.encode(Layout(1, spliced))), Layout(1, items))
    assert codec.encode(Layout(1, spliced)) == codec.encode(Layout(1, [codec.Encoded(p) for p in parts]))


def test_a_part_too_deep_for_its_splice_point_is_refused_when_made():
    deep: list = []
    for _ in range(codec.MAX_DEPTH - 2):
        deep = [deep]
    codec.encode_part(deep, depth=1)
    with pytest.raises(codec.CodecError, match="nested deeper"):
        codec.encode_part(deep, depth=2)


def test_a_dataclass_that_refuses_its_decoded_fields_gives_codec_error():
    with pytest.raises(codec.CodecError, match="Checked.*refused its fields"):
        codec.decode(codec.encode(Checked(1)).replace(b"\x03\x02", b"\x03\x01"))


@codec.register
@dataclass
class Checked:
    positive: int

    def __post_init__(self) -> None:
        if self.positive <= 0:
            raise ValueError("positive must be > 0")
