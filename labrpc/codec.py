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
import operator
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
_field_values: dict[type, Callable[[Any], tuple]] = {}  # an instance's field values, in order
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
    _field_names[cls] = names = tuple(f.name for f in dataclasses.fields(cls))
    _field_values[cls] = _field_getter(names)
    header = bytearray([_NEW_STRUCT])
    _varint(header, len(name.encode()))
    header += name.encode()
    _varint(header, len(_field_names[cls]))
    _struct_headers[cls] = bytes(header)
    _classes_by_wire_name[name.encode()] = cls
    return cls


def _field_getter(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """A function from an instance to the values of the fields ``names``, as a tuple."""
    if len(names) > 1:
        return operator.attrgetter(*names)  # the tuple, in one call
    if names:
        name = names[0]
        return lambda v: (getattr(v, name),)
    return lambda v: ()


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

    def __enter__(self) -> Encoded:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """The end of a with block over a part that views a buffer (RaftLog.encoded_tail):
        the view is released, so the buffer may change again."""
        if isinstance(self.data, memoryview):
            self.data.release()

    def __len__(self) -> int:
        """The number of items of an encoded_list(), as len() of the list it stands for."""
        if self.count is None:
            raise TypeError("len() of an Encoded part: only an encoded_list() has a length")
        return self.count


def encode_part(value: Any, depth: int, where: str = "") -> bytes:
    """``value`` encoded on its own, to be spliced (with Encoded) at nesting ``depth`` of a
    larger message; refused now, with CodecError, if it could not be encoded there.
    ``where`` names the value in that refusal (e.g. "entry")."""
    return _encode(bytearray([_PART]), value, depth + 1, where)


def encoded_list(count: int, joined_parts: bytes | bytearray | memoryview) -> Encoded:
    """A list of ``count`` values from the concatenation of their encode_part() bytes (not
    copied: the list's header is written when it is encoded)."""
    if count and joined_parts[:1] != bytes([_PART]):
        raise CodecError("labgob: encoded_list needs the concatenation of encode_part() results")
    return Encoded(joined_parts, count)


# --- encoding ------------------------------------------------------------------------------


def encode(value: Any) -> bytes:
    """Encode a plain value or registered dataclass; raise CodecError naming the bad field."""
    return _encode(bytearray(), value, 0, "")


def _encode(out: bytearray, value: Any, depth: int, where: str) -> bytes:
    encoder = _Encoder(out)
    try:
        encoder.value(value, depth)
    except _Refusal as refusal:
        raise CodecError(f"labgob: cannot encode {refusal.where(where) or 'value'}: {refusal.reason}") from None
    return encoder.result()


def _varint(out: bytearray, n: int) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


# The whole encoding of each int from -64 to 63 (INT, then its one-byte zig-zag varint): most
# ints in a message are terms, indexes and ids, and one lookup writes them.
_SMALL_INTS = [bytes([_INT, (n << 1) if n >= 0 else ((-n << 1) - 1)]) for n in range(-64, 64)]


class _Refusal(Exception):
    """Raised where a value is refused; each container it passes through on the way out adds
    the step that led to the value, so the message can say e.g. "AppendEntriesArgs.entries[0]
    LogEntry.command Op.key". Naming the way there only on a refusal, not along every value
    encoded, is what keeps encoding cheap."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.steps: list[tuple[int, Any]] = []  # innermost first

    def where(self, outermost: str) -> str:
        text = outermost
        for step, detail in reversed(self.steps):
            if step == _FIELD:
                cls, field = detail
                text = f"{text} {_names[cls]}.{field}" if text else f"{_names[cls]}.{field}"
            elif step == _KEY:
                text = f"{text or 'value'} key"
            else:  # a list's index or a dict's key
                text = f"{text or 'value'}[{detail!r:.40}]"
        return text


_ITEM, _KEY, _FIELD = range(3)  # a step in _Refusal.steps: into a list or dict, a key, a field


# Spliced data at least this long is not copied into the output buffer but kept by reference
# and joined with the rest once, at the end: Raft persisting a long log would otherwise copy
# it twice (into the buffer, then the buffer into bytes).
_SPLICE_BY_REFERENCE = 4096


class _Encoder:
    def __init__(self, out: bytearray) -> None:
        self.out = out  # replaced by a new buffer when a long splice is kept by reference
        self.pieces: list[bytes | bytearray | memoryview] = []  # the encoding so far, before out
        self.type_numbers: dict[type, int] = {}

    def result(self) -> bytes:
        if not self.pieces:
            return bytes(self.out)
        self.pieces.append(self.out)
        return b"".join(self.pieces)

    def value(self, v: Any, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise _Refusal(f"nested deeper than {MAX_DEPTH} (a cycle?)")
        encoder = _ENCODERS.get(type(v))
        if encoder is None:
            encoder = _Encoder.struct if type(v) in _names else _Encoder.refuse
        encoder(self, v, depth)

    def items(self, values: list | tuple, depth: int) -> None:
        """Each of ``values`` at ``depth``: a list's items or a dataclass's fields. The common
        scalars are written here, without a call each; a refusal names the item's index."""
        if values and depth > MAX_DEPTH:
            refusal = _Refusal(f"nested deeper than {MAX_DEPTH} (a cycle?)")
            refusal.steps.append((_ITEM, 0))
            raise refusal
        out = self.out
        for i, v in enumerate(values):
            kind = type(v)
            if kind is int and -64 <= v < 64:
                out += _SMALL_INTS[v + 64]
            elif kind is str and len(v) < 0x80 and v.isascii():  # then its length in bytes < 0x80
                out.append(_STR)
                out.append(len(v))
                out += v.encode()
            elif v is None:
                out.append(_NONE)
            else:
                try:
                    self.value(v, depth)
                except _Refusal as refusal:
                    refusal.steps.append((_ITEM, i))
                    raise
                out = self.out

    def refuse(self, v: Any, depth: int) -> None:
        hint = " (register it with labrpc.codec.register)" if dataclasses.is_dataclass(v) else ""
        raise _Refusal(f"type {type(v).__qualname__} is not a plain value or registered dataclass{hint}")

    def encoded(self, v: Encoded, depth: int) -> None:
        if v.count is not None:
            self.out.append(_LIST)
            _varint(self.out, v.count)
        if len(v.data) < _SPLICE_BY_REFERENCE:
            self.out += v.data
        else:
            self.pieces += (self.out, v.data)
            self.out = bytearray()

    def none(self, v: None, depth: int) -> None:
        self.out.append(_NONE)

    def bool_(self, v: bool, depth: int) -> None:
        self.out.append(_TRUE if v else _FALSE)

    def int_(self, v: int, depth: int) -> None:
        if v in _VARINT_INT_RANGE:
            self.out.append(_INT)
            _varint(self.out, (v << 1) if v >= 0 else ((-v << 1) - 1))
        else:
            self.bytes_with_tag(_BIG_INT, v.to_bytes(v.bit_length() // 8 + 1, "big", signed=True))

    def float_(self, v: float, depth: int) -> None:
        self.out.append(_FLOAT)
        self.out += struct.pack(">d", v)

    def str_(self, v: str, depth: int) -> None:
        self.bytes_with_tag(_STR, v.encode("utf-8", "surrogatepass"))

    def bytes_(self, v: bytes, depth: int) -> None:
        self.bytes_with_tag(_BYTES, v)

    def bytes_with_tag(self, tag: int, data: bytes) -> None:
        self.out.append(tag)
        _varint(self.out, len(data))
        self.out += data

    def sequence(self, v: list | tuple, depth: int) -> None:
        self.out.append(_LIST if type(v) is list else _TUPLE)
        _varint(self.out, len(v))
        self.items(v, depth + 1)

    def dict_(self, v: dict, depth: int) -> None:
        self.out.append(_DICT)
        _varint(self.out, len(v))
        for key, item in v.items():
            try:
                self.value(key, depth + 1)
            except _Refusal as refusal:
                refusal.steps.append((_KEY, key))
                raise
            try:
                self.value(item, depth + 1)
            except _Refusal as refusal:
                refusal.steps.append((_ITEM, key))
                raise

    def struct(self, v: Any, depth: int) -> None:
        cls = type(v)
        number = self.type_numbers.get(cls)
        if number is None:
            self.type_numbers[cls] = len(self.type_numbers)
            self.out += _struct_headers[cls]
        else:
            self.out.append(_STRUCT)
            _varint(self.out, number)
        try:
            self.items(_field_values[cls](v), depth + 1)
        except _Refusal as refusal:
            _, index = refusal.steps.pop()  # items() named the field by its index
            refusal.steps.append((_FIELD, (cls, _field_names[cls][index])))
            raise


_ENCODERS: dict[type, Callable[[_Encoder, Any, int], None]] = {
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
#
# The decoder passes (data, pos) along rather than keeping them in an object, and reads the
# common scalars inline in _values: attribute access and a call per value were most of its
# cost (decoding a kvraft AppendEntries of about 20 values now takes a quarter less time).


def decode(data: bytes) -> Any:
    """Decode bytes made by encode(); raise CodecError on anything malformed or unknown."""
    data = bytes(data)
    try:
        (value,), pos = _values(data, 0, 1, 0, [])
    except IndexError:  # a read past the end: no other IndexError can escape _values
        raise CodecError("labgob: truncated data") from None
    if pos != len(data):
        raise CodecError(f"labgob: {len(data) - pos} trailing bytes after the value")
    return value


# Each decoder of a tag takes (data, the position after the tag, the value's depth, the
# struct types numbered so far) and returns (the value, the position after it).
Decoded = tuple[Any, int]


def _values(data: bytes, pos: int, count: int, depth: int, types: list[type]) -> tuple[list, int]:
    """``count`` values from ``pos``, each at nesting ``depth``; and the position after them."""
    if count and depth > MAX_DEPTH:
        raise CodecError(f"labgob: nesting deeper than {MAX_DEPTH}")
    values: list[Any] = []
    for _ in range(count):
        tag = data[pos]
        pos += 1
        if tag == _INT and data[pos] < 0x80:  # most ints: terms, indexes, small ids
            zigzag = data[pos]
            pos += 1
            values.append((zigzag >> 1) if not zigzag & 1 else -((zigzag + 1) >> 1))
        elif tag == _STR and data[pos] < 0x80:  # a short string
            end = pos + 1 + data[pos]
            if end > len(data):
                raise CodecError(f"labgob: length {data[pos]} runs past the end of the data")
            values.append(_text(data[pos + 1 : end]))
            pos = end
        elif tag <= _TRUE:
            values.append(_CONSTANTS[tag])
        elif tag <= _BIG_INT:
            value, pos = _DECODERS[tag - _INT](data, pos, depth, types)
            values.append(value)
        else:
            raise CodecError(f"labgob: unknown tag {tag} at byte {pos - 1}")
    return values, pos


_CONSTANTS = (None, False, True)  # by tag: NONE, FALSE, TRUE


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    if data[pos] < 0x80:  # one byte: most lengths and counts
        return data[pos], pos + 1
    n = shift = 0
    for at in range(pos, min(pos + 10, len(data))):
        byte = data[at]
        n |= (byte & 0x7F) << shift
        if byte < 0x80:
            return n, at + 1
        shift += 7
    if shift < 7 * 10:
        raise CodecError("labgob: truncated data")
    raise CodecError("labgob: varint longer than 10 bytes")


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    """A length (of bytes, or of items that take at least a byte each); and the position after."""
    n, pos = _read_varint(data, pos)
    if n > len(data) - pos:
        raise CodecError(f"labgob: length {n} runs past the end of the data")
    return n, pos


def _read_raw(data: bytes, pos: int) -> tuple[bytes, int]:
    n = data[pos]
    if n >= 0x80 or pos + 1 + n > len(data):  # not the common case: a short run, all there
        n, pos = _read_length(data, pos)
        return data[pos : pos + n], pos + n
    return data[pos + 1 : pos + 1 + n], pos + 1 + n


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as e:
        raise CodecError(f"labgob: bad utf-8 in a string: {e}") from None


def _int(data: bytes, pos: int, depth: int, types: list[type]) -> Decoded:
    zigzag, pos = _read_varint(data, pos)
    return (zigzag >> 1) if not zigzag & 1 else -((zigzag + 1) >> 1), pos


def _big_int(data: bytes, pos: int, depth: int, types: list[type]) -> Decoded:
    raw, pos = _read_raw(data, pos)
    return int.from_bytes(raw, "big", signed=True), pos


def _float(data: bytes, pos: int, depth: int, types: list[type]) -> Decoded:
    if pos + 8 > len(data):
        raise CodecError("labgob: truncated float")
    return struct.unpack_from(">d", data, pos)[0], pos + 8


def _str(data: bytes, pos: int, depth: int, types: list[type]) -> Decoded:
    raw, pos = _read_raw(data, pos)
    return _text(raw), pos


def _bytes(data: bytes, pos: int, depth: int, types: list[type]) -> Decoded:
    return _read_raw(data, pos)


def _list(data: bytes, pos: int, depth: int, types: list[type]) -> Decoded:
    count, pos = _read_length(data, pos)
    return _values(data, pos, count, depth + 1, types)


def _tuple(data: bytes, pos: int, depth: int, types: list[type]) -> Decoded:
    items, pos = _list(data, pos, depth, types)
    return tuple(items), pos


def _dict(data: bytes, pos: int, depth: int, types: list[type]) -> Decoded:
    count, pos = _read_length(data, pos)
    keys_and_items, pos = _values(data, pos, 2 * count, depth + 1, types)
    try:
        return dict(zip(keys_and_items[::2], keys_and_items[1::2], strict=True)), pos
    except TypeError as e:  # e.g. "unhashable type: 'list'"
        raise CodecError(f"labgob: a dict key that cannot be one: {e}") from None


def _new_struct(data: bytes, pos: int, depth: int, types: list[type]) -> Decoded:
    wire_name, pos = _read_raw(data, pos)
    cls = _classes_by_wire_name.get(wire_name)
    if cls is None:
        raise CodecError(f"labgob: type {wire_name.decode('utf-8', 'replace')!r} is not registered")
    nfields, pos = (data[pos], pos + 1) if data[pos] < 0x80 else _read_varint(data, pos)
    if nfields != len(_field_names[cls]):
        raise CodecError(f"labgob: {_names[cls]} has {len(_field_names[cls])} fields, the data has {nfields}")
    types.append(cls)
    return _fields(cls, data, pos, depth, types)


def _known_struct(data: bytes, pos: int, depth: int, types: list[type]) -> Decoded:
    number, pos = _read_varint(data, pos)
    if number >= len(types):
        raise CodecError(f"labgob: reference to undefined type number {number}")
    return _fields(types[number], data, pos, depth, types)


def _fields(cls: type, data: bytes, pos: int, depth: int, types: list[type]) -> Decoded:
    values, pos = _values(data, pos, len(_field_names[cls]), depth + 1, types)
    try:
        return cls(*values), pos
    except Exception as e:  # noqa: BLE001 - whatever the class's __init__/__post_init__ raises is a refusal
        raise CodecError(f"labgob: {cls.__qualname__}{tuple(values)!r:.80} refused its fields: {e}") from None


def _part(data: bytes, pos: int, depth: int, types: list[type]) -> Decoded:
    # The value inside numbers its struct types afresh (see the module's docstring).
    (value,), end = _values(data, pos, 1, depth + 1, [])
    if type(value) in _remembering:
        # From the PART tag on; and the depth the tag sat at, the depth its bytes were spliced at.
        object.__setattr__(value, _PART_ATTRIBUTE, (data[pos - 1 : end], depth))
    return value, end


# By tag, from INT on: _values reads NONE, FALSE and TRUE itself.
_DECODERS: list[Callable[[bytes, int, int, list[type]], Decoded]] = [
    _int,
    _float,
    _str,
    _bytes,
    _list,
    _tuple,
    _dict,
    _new_struct,
    _known_struct,
    _part,
    _big_int,
]
