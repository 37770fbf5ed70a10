"""Our labgob: round trips, isolation between peers, refusals, and compactness."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field

import pytest

import runtime
from labrpc import Network, Server, Service, codec, handler


@codec.register
@dataclass
class Entry:
    term: int
    command: object


@codec.register
@dataclass
class Message:
    term: int = 0
    name: str = ""
    entries: list = field(default_factory=list)
    table: dict = field(default_factory=dict)
    blob: bytes = b""
    pair: tuple = ()
    ratio: float = 0.0
    flag: bool = False
    nothing: None = None


@dataclass
class NotRegistered:
    x: int = 0


def test_round_trip_of_every_plain_type_and_nested_dataclasses():
    m = Message(
        term=-(2**70),
        name="héllo \u2603",
        entries=[Entry(1, "x"), Entry(2, 2**62), Entry(3, None)],
        table={"a": [1, 2], 3: (True, False), (1, "k"): b"\x00\xff"},
        blob=bytes(range(256)),
        pair=(1, "two", [3]),
        ratio=-1.5e-300,
        flag=True,
    )
    assert codec.decode(codec.encode(m)) == m
    for v in [0, 1, -1, 63, 64, -64, -65, 2**63 - 1, -(2**63), "", b"", [], {}, (), None, True, 0.0]:
        assert codec.decode(codec.encode(v)) == v and type(codec.decode(codec.encode(v))) is type(v)


def test_type_names_are_sent_once_per_message():
    one = len(codec.encode([Entry(1, 1)]))
    ten = len(codec.encode([Entry(1, 1)] * 10))
    assert ten - one == 9 * 6, "each further Entry should cost its tag, its type number and two tagged small ints"


def test_more_compact_than_pickle_and_gob_sized():
    entries = [Entry(t, 10**9 + t) for t in range(20)]
    assert len(codec.encode(entries)) < len(pickle.dumps(entries)) / 2
    assert len(codec.encode("x" * 284)) == 287  # labrpc TestBytes's windows assume gob-like sizes


def test_unregistered_and_unencodable_values_are_refused_naming_the_field():
    with pytest.raises(codec.CodecError, match=r"Message\.table\['lock'\].*lock.*not a plain value"):
        codec.encode(Message(table={"lock": runtime.Lock()}))
    with pytest.raises(codec.CodecError, match=r"Message\.entries\[0\].*NotRegistered.*register it"):
        codec.encode(Message(entries=[NotRegistered()]))
    with pytest.raises(codec.CodecError, match="function"):
        codec.encode(Message(nothing=lambda: 1))
    with pytest.raises(codec.CodecError, match="only dataclasses"):
        codec.register(int)


def test_a_refusal_names_the_whole_way_to_the_value():
    nested = Message(entries=[Entry(1, "x"), Entry(2, {"k": [0, {frozenset(): 1}]})])
    with pytest.raises(codec.CodecError, match=r"cannot encode Message\.entries\[1\] Entry\.command\['k'\]\[1\] key: "):
        codec.encode(nested)
    with pytest.raises(codec.CodecError, match=r"cannot encode entry Entry\.command\[0\]: type set"):
        codec.encode_part(Entry(1, [set()]), depth=1, where="entry")
    with pytest.raises(codec.CodecError, match=r"cannot encode value\[2\]: type object"):
        codec.encode((1, "two", object()))


def test_a_crafted_pickle_or_garbage_is_refused_without_running_code():
    class Evil:
        def __reduce__(self):
            return (exec, ("import os; os._exit(13)",))

    bad_inputs = [
        pickle.dumps(Evil()),
        b"",
        bytes([200]),
        bytes([codec._STR, 50]) + b"short",
        bytes([codec._LIST, 0xFF, 0xFF, 0xFF, 0x7F]),
        bytes([codec._NEW_STRUCT, 2]) + b"os" + bytes([0]),
        bytes([codec._STRUCT, 0]),
        bytes([codec._INT]) + b"\xff" * 30,
        bytes([codec._LIST, 1]) * 200 + bytes([codec._NONE]),
        codec.encode(1) + b"\x00",
        bytes([codec._DICT, 1, codec._LIST, 0, codec._NONE]),
    ]
    for data in bad_inputs:
        with pytest.raises(codec.CodecError):
            codec.decode(data)


def test_wrong_field_count_is_refused():
    data = bytearray(codec.encode(Entry(1, 2)))
    data[1 + 1 + len("Entry")] = 3  # claim three fields
    with pytest.raises(codec.CodecError, match="Entry has 2 fields, the data has 3"):
        codec.decode(bytes(data))


class Keeper:
    def __init__(self) -> None:
        self.received: Message | None = None

    @handler
    def keep(self, args: Message) -> Message:
        self.received = args
        return args


def test_mutation_after_send_is_not_seen_by_the_receiver():
    net = Network()
    try:
        keeper = Keeper()
        server = Server()
        server.add_service(Service(keeper))
        net.add_server("s", server)
        end = net.make_end("e")
        net.connect("e", "s")
        net.enable("e", True)
        sent = Message(entries=[Entry(1, "a")])
        ok, reply = end.call("Keeper.Keep", sent)
        assert ok
        sent.entries.append(Entry(2, "b"))
        sent.entries[0].command = "changed"
        assert keeper.received == Message(entries=[Entry(1, "a")])
        reply.entries.clear()
        assert keeper.received.entries == [Entry(1, "a")]
    finally:
        net.cleanup()


@codec.remember_parts
@codec.register
@dataclass(frozen=True)
class Remembering:
    term: int
    command: object


def test_a_value_decoded_from_a_part_remembers_its_bytes_for_the_same_depth_or_shallower():
    """What lets a Raft follower store the entry bytes the leader made instead of encoding
    the entry again: splicing the remembered part gives the very bytes the sender sent."""
    part = codec.encode_part(Remembering(3, ["x", Entry(1, None)]), depth=2)
    sent = Message(entries=[codec.Encoded(part)])
    received = codec.decode(codec.encode(sent)).entries[0]
    assert received == Remembering(3, ["x", Entry(1, None)])
    assert codec.remembered_part(received, 2) == part
    assert codec.remembered_part(received, 1) == part  # shallower: still within the depth bound
    assert codec.remembered_part(received, 3) is None  # deeper than it was checked for
    assert codec.encode(Message(entries=[codec.Encoded(codec.remembered_part(received, 2))])) == codec.encode(sent)


def test_only_values_decoded_from_a_part_of_a_remembering_class_remember():
    plain = codec.decode(codec.encode(Message(entries=[Remembering(1, "a")]))).entries[0]
    assert codec.remembered_part(plain, 2) is None  # decoded, but not from a part
    other = codec.decode(codec.encode(Message(entries=[codec.Encoded(codec.encode_part(Entry(1, "a"), 2))])))
    assert codec.remembered_part(other.entries[0], 2) is None  # Entry does not remember parts
    assert codec.remembered_part(Remembering(1, "a"), 2) is None  # made here, never decoded


def test_remember_parts_needs_a_registered_frozen_dataclass():
    with pytest.raises(codec.CodecError, match="register it first"):
        codec.remember_parts(NotRegistered)
    with pytest.raises(codec.CodecError, match="frozen"):
        codec.remember_parts(Entry)


@pytest.mark.parametrize("count", [3, 1000])  # below and above the size spliced by reference
def test_a_spliced_list_encodes_the_same_from_bytes_bytearray_or_a_view(count: int):
    values = [f"value {i}" for i in range(count)]
    joined = b"".join(codec.encode_part(v, 2) for v in values)
    encodings = {
        codec.encode(Message(entries=codec.encoded_list(count, kind(joined))))
        for kind in (bytes, bytearray, memoryview)
    }
    assert len(encodings) == 1
    assert codec.decode(encodings.pop()) == Message(entries=values)
