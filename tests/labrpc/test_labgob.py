"""The course's labgob/test_test.go (TestGOB, TestCapital, TestDefault), ported in spirit to
our codec (labrpc/codec.py), through its public API only: register, encode, decode, CodecError.

labgob is gob plus two checks, and each test checks one of them; gob's pitfalls become
Python's here:

* TestGOB: that labgob did not break gob. Two ints, a T1, and a T2 (a slice of T1, a map to
  T1 pointers, an interface holding a registered T3) come back field by field, and labgob
  counted no error. Here: the same values round-trip through encode/decode, zero fields
  included, the interface field comes back as a T3, and nothing raises.
* TestCapital: gob silently drops lower-case (unexported) fields, so labgob reports them; the
  test encodes and decodes a []map[*T4]int, T4 holding the lower-case field ``no``, and
  expects exactly one error. Python has no unexported fields: the codec carries every
  dataclass field, underscore ones too, so nothing is dropped. What it cannot carry (a
  value that is neither plain nor a registered dataclass) it refuses with a CodecError
  naming the field. Two differences: labgob checks types, so the test's empty slice already
  errs, while our codec checks values, so the bad value must be present; and labgob
  reports a type once per process (exactly +1), while encode refuses every time.
* TestDefault: gob does not send zero values, so decoding a zero DD into a reply that already
  holds DD{99} leaves the 99, and labgob warns. Python has no decode-into: decode always
  builds fresh objects, passing every field's value, zero or not, to the constructor. So the
  faithful check is that a zero sent is a zero received, never the class's default (the
  analogue of the stale 99), and that two decodes of one message share no mutable part.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

import runtime
from labrpc import codec


@codec.register
@dataclass
class T1:
    t1int0: int = 0
    t1int1: int = 0
    t1string0: str = ""
    t1string1: str = ""


@codec.register
@dataclass
class T2:
    t2slice: list[T1] = field(default_factory=list)
    t2map: dict[int, T1] = field(default_factory=dict)
    t2t3: object = None  # Go's interface{}: any registered value


@dataclass
class T3:
    t3int999: int = 0


def test_gob():
    codec.register(T3)  # as the course registers T3 in the test: only for the interface field

    t1 = T1(t1int1=1, t1string1="6.824")
    t2 = T2(t2slice=[T1(), t1], t2map={99: T1(1, 2, "x", "y")}, t2t3=T3(999))
    data = [codec.encode(v) for v in (0, 1, t1, t2)]  # e.Encode(x0), (x1), (t1), (t2)

    x0, x1, t1, t2 = (codec.decode(d) for d in data)
    assert x0 == 0
    assert x1 == 1
    assert t1.t1int0 == 0
    assert t1.t1int1 == 1
    assert t1.t1string0 == ""
    assert t1.t1string1 == "6.824"
    assert len(t2.t2slice) == 2
    assert t2.t2slice[1].t1int1 == 1
    assert len(t2.t2map) == 1
    assert t2.t2map[99].t1string1 == "y"
    assert type(t2.t2t3) is T3  # Go's type assertion (t2.T2t3).(T3)
    assert t2.t2t3.t3int999 == 999


@codec.register
@dataclass(frozen=True)  # hashable, to be a dict key as the course's *T4 is a map key
class T4:
    yes: int
    _no: object  # the course's lower-case field: "private" in Python, and carried all the same


def test_capital():
    v = [{T4(yes=1, _no=2): 3}]  # the course's []map[*T4]int, with one element
    v1 = codec.decode(codec.encode(v))
    assert v1 == v
    (key,) = v1[0]
    assert key._no == 2, "an underscore field must be carried, not silently dropped"

    # What the codec cannot carry is refused, naming the field, and every time (labgob
    # reports a type once per process; a refusal must not depend on what went before).
    bad = [{T4(yes=1, _no=runtime.Lock()): 3}]
    for _ in range(2):
        with pytest.raises(codec.CodecError, match=r"T4\._no"):
            codec.encode(bad)


@codec.register
@dataclass
class DD:
    x: int = 99  # a non-default default: a zero sent must not come back as this
    name: str = "stale"
    flag: bool = True
    items: list = field(default_factory=lambda: ["stale"])


def test_default():
    # Send zero values of a class whose defaults are not zero: if the codec, like gob, left
    # zero values out, the receiver would see the defaults (the course's stale 99).
    data = codec.encode(DD(x=0, name="", flag=False, items=[]))
    decoded = codec.decode(data)
    assert decoded == DD(x=0, name="", flag=False, items=[]), "every zero sent is a zero received"

    # Fresh all the way down: two decodes of one message share nothing mutable.
    again = codec.decode(data)
    again.items.append("new")
    assert decoded.items == []
