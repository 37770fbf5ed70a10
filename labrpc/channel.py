"""An unbuffered Go-style channel, for applyCh.

    ch.send(v)      blocks until a receiver has taken v; raises ChannelClosed if the channel closes first
    ch.recv()       blocks until a value arrives; raises ChannelClosed once closed
    for v in ch:    receives until the channel is closed
    ch.close()      wakes every blocked sender and receiver

Unbuffered on purpose: in Go, a Raft peer that holds its lock while sending on applyCh
deadlocks as soon as the service calls back into Raft (the 2D tester calls Snapshot() from
its apply loop). The same mistake deadlocks here, so the lesson is as real as in Go.

As in Go's runtime, a send to a receiver that is already waiting hands the value over and
returns at once: the receiver has taken it, so the sender need not wait to be told. Only a
send that finds nobody waiting parks until a receiver comes. That halves the thread switches
per value when the receiver keeps up, which is most of what an apply channel costs. A parked
sender or receiver waits on a baton of its own (a lock), released only after the channel's
lock: woken under that lock, it would wake only to block on the lock, one more thread switch.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import runtime

T = TypeVar("T")


class ChannelClosed(Exception):
    """The channel was closed before the send or receive could complete."""


class _Handoff:
    """One parked sender's value, or one parked receiver's empty hands, and the baton it
    waits on: a lock taken when it parks, released by whoever completes the handoff (or
    closes the channel) once the channel's lock is free again."""

    __slots__ = ("value", "done", "baton")

    def __init__(self, value: Any = None) -> None:
        self.value = value
        self.done = False  # the value has changed hands
        self.baton = runtime.Lock()
        self.baton.acquire()


class Channel(Generic[T]):
    def __init__(self) -> None:
        self._mu = runtime.Lock()
        self._senders: deque[_Handoff] = deque()  # parked senders, oldest first
        self._receivers: deque[_Handoff] = deque()  # parked receivers, oldest first
        self._closed = False

    def send(self, value: T) -> None:
        with self._mu:
            if self._closed:
                raise ChannelClosed("send on closed channel")
            receiver = self._receivers.popleft() if self._receivers else None
            if receiver is not None:
                receiver.value, receiver.done = value, True
            else:
                offer = _Handoff(value)
                self._senders.append(offer)
        if receiver is not None:
            receiver.baton.release()  # it has the value: wake it, and go on
            return
        offer.baton.acquire()  # parked until a receiver takes the value or the channel closes
        if not offer.done:
            raise ChannelClosed("channel closed before the value was received")

    def recv(self) -> T:
        with self._mu:
            if self._closed:
                raise ChannelClosed("receive on closed channel")
            sender = self._senders.popleft() if self._senders else None
            if sender is not None:
                sender.done = True
            else:
                hands = _Handoff()
                self._receivers.append(hands)
        if sender is not None:
            sender.baton.release()  # its value is taken: it may go on
            value: T = sender.value
            return value
        hands.baton.acquire()  # parked until a sender hands over a value or the channel closes
        if not hands.done:
            raise ChannelClosed("receive on closed channel")
        received: T = hands.value
        return received

    def close(self) -> None:
        with self._mu:
            self._closed = True
            parked = [*self._senders, *self._receivers]
            self._senders.clear()
            self._receivers.clear()
        for handoff in parked:
            handoff.baton.release()  # done stays False: each raises ChannelClosed

    def __iter__(self) -> Iterator[T]:
        while True:
            try:
                yield self.recv()
            except ChannelClosed:
                return
