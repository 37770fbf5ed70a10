"""labgob, our codec: what crosses the network or goes into a Persister is bytes.

Cheat sheet:

    @register                      make a dataclass encodable (messages, log entries, kv ops)
    encode(value) -> bytes         plain values and registered dataclasses; anything else raises
    decode(data) -> value          never runs code from the bytes; bad bytes raise CodecError
    encode_part(value, depth)      a self-contained encoding, to splice later with Encoded
    @remember_parts                a class whose instances decoded from a part keep its bytes
    remembered_part(value, depth)  those bytes, to splice again instead of encoding anew

Why a codec at all: in the course every RPC argument and reply goes through gob, so a peer
never shares memory with another, and labrpc counts real bytes. We keep both properties.

Why our own format rather than pickle: ``pickle.loads`` on bytes from elsewhere can run any
code, and a pickle spells out module and class names on every object, so it is far larger
than gob; the course's byte bounds (labrpc TestBytes, TestRPCBytes2B, 2D's MAXLOGSIZE, 3B's
500-byte snapshot) were set for gob. This format is gob-like: a one-byte tag per value,
integers as zig-zag varints, and a dataclass's name written once per message and referred
to by number afterwards (as gob sends a type once per stream). Decoding only ever builds
plain values and instances of classes that were registered by our own code.

Wire format, one value:

    NONE | FALSE | TRUE
    INT varint(zigzag(n))         (-2**63 <= n < 2**63)
    BIG_INT varint(len) bytes      (any other int: two's complement, big-endian)
    FLOAT 8 bytes big-endian IEEE 754
    STR varint(len) utf-8         BYTES varint(len) raw
    LIST / TUPLE varint(n) value*n
    DICT varint(n) (key value)*n
    NEW_STRUCT varint(len) name varint(nfields) value*nfields   (name gets the next type number)
    STRUCT varint(type number) value*nfields
    PART value                    (a splice: the value inside numbers its struct types afresh)

Type numbers belong to the encoding that made them. A splice (see Encoded) was made by another
encoder, so its numbers would mean other types in the stream around it: the PART tag opens a
fresh numbering for the value inside and restores the outer one after it, so a part means the
same value wherever it lands.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = [
    "CodecError",
    "Encoded",
    "encoded_list",
    "encode_part",
    "register",
    "remember_parts",
    "remembered_part",
    "encode",
    "decode",
]

T = TypeVar("T")

(
    _NONE,
    _FALSE,
    _TRUE,
    _INT,
    _FLOAT,
    _STR,
    _BYTES,
    _LIST,
    _TUPLE,
    _DICT,
    _NEW_STRUCT,
    _STRUCT,
    _PART,
    _BIG_INT,
) = range(14)

# Nesting deeper than this is refused both ways: hostile bytes cannot exhaust the stack, and
# whatever encode() accepts, decode() accepts too. The top value is at depth 0.
MAX_DEPTH = 64
# Ints in this range are varints; others are BIG_INT, so a varint never exceeds 10 bytes.
_VARINT_INT_RANGE = range(-(2**63), 2**63)

_registry: dict[str, type] = {}
_names: dict[type, str] = {}
_field_names: dict[type, tuple[str, ...]] = {}
# Made once at register(), as gob compiles a type's encoder once: a struct's first appearance
# in a message (NEW_STRUCT, its name and field count), and the class each wire name means.
_struct_headers: dict[type, bytes] = {}
_classes_by_wire_name: dict[bytes, type] = {}
_remembering: set[type] = set()  # classes given to remember_parts()
# Where a remembering instance keeps (its part's bytes, the depth it was spliced at).
_PART_ATTRIBUTE = "_labgob_part"


class CodecError(ValueError):
    """A value that cannot be encoded, or bytes that do not decode."""


def register(cls: type[T]) -> type[T]:
    """Allow instances of the dataclass ``cls`` to be encoded and decoded.

    Use as a class decorator. The class's ``__qualname__`` is its name on the wire, so two
    registered classes may not share one (as with gob.Register).
    """
    if not dataclasses.is_dataclass(cls):
        raise CodecError(f"labgob: register {cls.__qualname__}: only dataclasses can be registered")
    name = cls.__qualname__
    if _registry.get(name, cls) is not cls:
        raise CodecError(f"labgob: register {name}: another class is registered under that name")
    if any(not f.init for f in dataclasses.fields(cls)):
        raise CodecError(f"labgob: register {name}: every field must be an __init__ argument (init=False is not)")
    _registry[name] = cls
    _names[cls] = name
    _field_names[cls] = tuple(f.name for f in dataclasses.fields(cls))
    header = bytearray([_NEW_STRUCT])
    _varint(header, len(name.encode()))
    header += name.encode()
    _varint(header, len(_field_names[cls]))
    _struct_headers[cls] = bytes(header)
    _classes_by_wire_name[name.encode()] = cls
    return cls


def remember_parts(cls: type[T]) -> type[T]:
    """Make instances of the registered, frozen dataclass ``cls`` that are decoded from a part
    (an encode_part() spliced into a message) keep that part's bytes, for remembered_part().

    What it is for: a Raft follower stores each log entry it receives as the bytes the
    leader encoded, instead of encoding it again. Frozen, so the bytes cannot go stale.
    """
    if cls not in _names:
        raise CodecError(f"labgob: remember_parts {cls.__qualname__}: register it first")
    if not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]  # set by @dataclass
        raise CodecError(f"labgob: remember_parts {cls.__qualname__}: the dataclass must be frozen")
    _remembering.add(cls)
    return cls


def remembered_part(value: Any, depth: int) -> bytes | None:
    """The part ``value`` was decoded from, if its class remembers parts and the part may be
    spliced at nesting ``depth`` (no deeper than where it was decoded); else None."""
    remembered = value.__dict__.get(_PART_ATTRIBUTE) if type(value) in _remembering else None
    if remembered is None or depth > remembered[1]:
        return None
    part: bytes = remembered[0]
    return part


class Encoded:
    """Bytes made earlier by encode_part(), spliced verbatim into a larger encoding.

    Lets a caller that re-encodes mostly the same data (Raft persisting a growing log)
    encode each part once. The contract: ``decode(encode(X(Encoded(encode_part(v)))))``
    equals ``X(v)`` for any container X around the splice, whatever struct types X and v
    share, because a part carries its own type numbering (the PART tag). ``data`` must
    therefore be one part, or, with a count (see encoded_list()), count parts back to back,
    which encode as a list of them.
    """

    __slots__ = ("data", "count")

    def __init__(self, data: bytes | bytearray | memoryview, count: int | None = None) -> None:
        self.data = data
        self.count = count  # for an encoded_list(), its number of items

    def __len__(self) -> int:
        """The number of items of an encoded_list(), as len() of the list it stands for."""
        if self.count is None:
            raise TypeError("len() of an Encoded part: only an encoded_list() has a length")
        return self.count


def encode_part(value: Any, depth: int, where: str = "") -> bytes:
    """``value`` encoded on its own, to be spliced (with Encoded) at nesting ``depth`` of a
    larger message; refused now, with CodecError, if it could not be encoded there."""
    encoder = _Encoder(bytearray([_PART]))
    encoder.value(value, where, depth + 1)
    return encoder.result()


def encoded_list(count: int, joined_parts: bytes | bytearray | memoryview) -> Encoded:
    """A list of ``count`` values from the concatenation of their encode_part() bytes (not
    copied: the list's header is written when it is encoded)."""
    if count and joined_parts[:1] != bytes([_PART]):
        raise CodecError("labgob: encoded_list needs the concatenation of encode_part() results")
    return Encoded(joined_parts, count)


# --- encoding ------------------------------------------------------------------------------


def encode(value: Any) -> bytes:
    """Encode a plain value or registered dataclass; raise CodecError naming the bad field."""
    encoder = _Encoder(bytearray())
    encoder.value(value, "", 0)
    return encoder.result()


def _varint(out: bytearray, n: int) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


# Where a value sits in what is being encoded, for the error message naming a value the codec
# refuses, e.g. "AppendEntriesArgs.entries[0] LogEntry.command Op.key". Built as a chain of
# (parent, step, detail) tuples while encoding, and turned into text only for that message:
# formatting it for every value cost about a tenth of encoding a message (callgrind).
Where = str | tuple[Any, int, Any]
_ITEM, _KEY, _FIELD = range(3)


def _where_text(where: Where) -> str:
    steps = []
    while isinstance(where, tuple):
        where, step, detail = where
        steps.append((step, detail))
    text = where
    for step, detail in reversed(steps):
        if step == _FIELD:
            cls, field = detail
            text = f"{text} {_names[cls]}.{field}" if text else f"{_names[cls]}.{field}"
        elif step == _KEY:
            text = f"{text or 'value'} key"
        else:  # a list's index or a dict's key
            text = f"{text or 'value'}[{detail!r:.40}]"
    return text


# Spliced data at least this long is not copied into the output buffer but kept by reference
# and joined with the rest once, at the end: Raft persisting a long log would otherwise copy
# it twice (into the buffer, then the buffer into bytes).
_SPLICE_BY_REFERENCE = 4096


class _Encoder:
    def __init__(self, out: bytearray) -> None:
        self.out = out
        self.pieces: list[bytes | bytearray | memoryview] = []  # the encoding so far, before out
        self.type_numbers: dict[type, int] = {}

    def result(self) -> bytes:
        if not self.pieces:
            return bytes(self.out)
        self.pieces.append(self.out)
        return b"".join(self.pieces)

    def value(self, v: Any, where: Where, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise CodecError(
                f"labgob: cannot encode {_where_text(where) or 'value'}: nested deeper than {MAX_DEPTH} (a cycle?)"
            )
        encoder = _ENCODERS.get(type(v))
        if encoder is None:
            encoder = _Encoder.struct if type(v) in _names else _Encoder.refuse
        encoder(self, v, where, depth)

    def refuse(self, v: Any, where: Where, depth: int) -> None:
        kind = type(v).__qualname__
        hint = " (register it with labrpc.codec.register)" if dataclasses.is_dataclass(v) else ""
        raise CodecError(
            f"labgob: cannot encode {_where_text(where) or 'value'}: "
            f"type {kind} is not a plain value or registered dataclass{hint}"
        )

    def encoded(self, v: Encoded, where: Where, depth: int) -> None:
        if v.count is not None:
            self.out.append(_LIST)
            _varint(self.out, v.count)
        if len(v.data) < _SPLICE_BY_REFERENCE:
            self.out += v.data
        else:
            self.pieces += (self.out, v.data)
            self.out = bytearray()

    def none(self, v: None, where: Where, depth: int) -> None:
        self.out.append(_NONE)

    def bool_(self, v: bool, where: Where, depth: int) -> None:
        self.out.append(_TRUE if v else _FALSE)

    def int_(self, v: int, where: Where, depth: int) -> None:
        if v in _VARINT_INT_RANGE:
            self.out.append(_INT)
            zigzag = (v << 1) if v >= 0 else ((-v << 1) - 1)
            if zigzag < 0x80:  # most ints in a message: terms, indexes, ids
                self.out.append(zigzag)
            else:
                _varint(self.out, zigzag)
        else:
            self.bytes_with_tag(_BIG_INT, v.to_bytes(v.bit_length() // 8 + 1, "big", signed=True))

    def float_(self, v: float, where: Where, depth: int) -> None:
        self.out.append(_FLOAT)
        self.out += struct.pack(">d", v)

    def str_(self, v: str, where: Where, depth: int) -> None:
        self.bytes_with_tag(_STR, v.encode("utf-8", "surrogatepass"))

    def bytes_(self, v: bytes, where: Where, depth: int) -> None:
        self.bytes_with_tag(_BYTES, v)

    def bytes_with_tag(self, tag: int, data: bytes) -> None:
        self.out.append(tag)
        if len(data) < 0x80:
            self.out.append(len(data))
        else:
            _varint(self.out, len(data))
        self.out += data

    def sequence(self, v: list | tuple, where: Where, depth: int) -> None:
        self.out.append(_LIST if type(v) is list else _TUPLE)
        _varint(self.out, len(v))
        for i, item in enumerate(v):
            self.value(item, (where, _ITEM, i), depth + 1)

    def dict_(self, v: dict, where: Where, depth: int) -> None:
        self.out.append(_DICT)
        _varint(self.out, len(v))
        for key, item in v.items():
            self.value(key, (where, _KEY, key), depth + 1)
            self.value(item, (where, _ITEM, key), depth + 1)

    def struct(self, v: Any, where: Where, depth: int) -> None:
        cls = type(v)
        number = self.type_numbers.get(cls)
        fields = _field_names[cls]
        if number is None:
            self.type_numbers[cls] = len(self.type_numbers)
            self.out += _struct_headers[cls]
        else:
            self.out.append(_STRUCT)
            _varint(self.out, number)
        for field in fields:
            self.value(getattr(v, field), (where, _FIELD, (cls, field)), depth + 1)


_ENCODERS: dict[type, Callable[[_Encoder, Any, Where, int], None]] = {
    Encoded: _Encoder.encoded,
    type(None): _Encoder.none,
    bool: _Encoder.bool_,
    int: _Encoder.int_,
    float: _Encoder.float_,
    str: _Encoder.str_,
    bytes: _Encoder.bytes_,
    bytearray: _Encoder.bytes_,
    list: _Encoder.sequence,
    tuple: _Encoder.sequence,
    dict: _Encoder.dict_,
}


# --- decoding ------------------------------------------------------------------------------


def decode(data: bytes) -> Any:
    """Decode bytes made by encode(); raise CodecError on anything malformed or unknown."""
    decoder = _Decoder(bytes(data))
    value = decoder.value(0)
    if decoder.pos != len(decoder.data):
        raise CodecError(f"labgob: {len(decoder.data) - decoder.pos} trailing bytes after the value")
    return value


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.types: list[type] = []

    def varint(self) -> int:
        data, pos = self.data, self.pos
        if pos < len(data) and data[pos] < 0x80:  # one byte: most lengths and ints
            self.pos = pos + 1
            return data[pos]
        # Several bytes (a clerk's random 62-bit id takes 9): read them here, not byte by byte.
        n = shift = 0
        for at in range(pos, min(pos + 10, len(data))):
            b = data[at]
            n |= (b & 0x7F) << shift
            if b < 0x80:
                self.pos = at + 1
                return n
            shift += 7
        if shift < 7 * 10:
            raise CodecError("labgob: truncated data")
        raise CodecError("labgob: varint longer than 10 bytes")

    def length(self) -> int:
        n = self.varint()
        if n > len(self.data) - self.pos:
            raise CodecError(f"labgob: length {n} runs past the end of the data")
        return n

    def raw(self) -> bytes:
        n = self.length()
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def value(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise CodecError(f"labgob: nesting deeper than {MAX_DEPTH}")
        if self.pos >= len(self.data):
            raise CodecError("labgob: truncated data")
        tag = self.data[self.pos]
        self.pos += 1
        if tag > _BIG_INT:
            raise CodecError(f"labgob: unknown tag {tag} at byte {self.pos - 1}")
        return _DECODERS[tag](self, depth + 1)

    def int_(self, depth: int) -> int:
        z = self.varint()
        return (z >> 1) if not z & 1 else -((z + 1) >> 1)

    def big_int(self, depth: int) -> int:
        return int.from_bytes(self.raw(), "big", signed=True)

    def part(self, depth: int) -> Any:
        start = self.pos - 1  # the PART tag
        outer_types, self.types = self.types, []
        value = self.value(depth)
        self.types = outer_types
        if type(value) in _remembering:
            # depth - 1: where the PART tag itself sat, the depth its bytes were spliced at.
            object.__setattr__(value, _PART_ATTRIBUTE, (self.data[start : self.pos], depth - 1))
        return value

    def float_(self, depth: int) -> float:
        if self.pos + 8 > len(self.data):
            raise CodecError("labgob: truncated float")
        v: float
        (v,) = struct.unpack_from(">d", self.data, self.pos)
        self.pos += 8
        return v

    def str_(self, depth: int) -> str:
        try:
            return self.raw().decode("utf-8", "surrogatepass")
        except UnicodeDecodeError as e:
            raise CodecError(f"labgob: bad utf-8 in a string: {e}") from None

    def items(self, depth: int) -> list:
        # Each item takes at least one byte, so a count past the remaining bytes is a lie.
        return [self.value(depth) for _ in range(self.length())]

    def dict_(self, depth: int) -> dict:
        result = {}
        for _ in range(self.length()):
            key = self.value(depth)
            try:
                result[key] = self.value(depth)
            except TypeError:
                raise CodecError(f"labgob: unhashable dict key of type {type(key).__qualname__}") from None
        return result

    def new_struct(self, depth: int) -> Any:
        wire_name = self.raw()
        cls = _classes_by_wire_name.get(wire_name)
        if cls is None:
            raise CodecError(f"labgob: type {wire_name.decode('utf-8', 'replace')!r} is not registered")
        nfields = self.varint()
        if nfields != len(_field_names[cls]):
            raise CodecError(f"labgob: {_names[cls]} has {len(_field_names[cls])} fields, the data has {nfields}")
        self.types.append(cls)
        return self.fields(cls, depth)

    def known_struct(self, depth: int) -> Any:
        number = self.varint()
        if number >= len(self.types):
            raise CodecError(f"labgob: reference to undefined type number {number}")
        return self.fields(self.types[number], depth)

    def fields(self, cls: type, depth: int) -> Any:
        values = [self.value(depth) for _ in _field_names[cls]]
        try:
            return cls(*values)
        except Exception as e:  # noqa: BLE001 - whatever the class's __init__/__post_init__ raises is a refusal
            raise CodecError(f"labgob: {cls.__qualname__}{tuple(values)!r:.80} refused its fields: {e}") from None


_DECODERS: list[Callable[[_Decoder, int], Any]] = [
    lambda d, depth: None,
    lambda d, depth: False,
    lambda d, depth: True,
    _Decoder.int_,
    _Decoder.float_,
    _Decoder.str_,
    lambda d, depth: d.raw(),
    _Decoder.items,
    lambda d, depth: tuple(d.items(depth)),
    _Decoder.dict_,
    _Decoder.new_struct,
    _Decoder.known_struct,
    _Decoder.part,
    _Decoder.big_int,
]
