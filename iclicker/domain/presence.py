"""Who is here, across processes: each process's own sockets and what the others last said.

A topic (a lecture, a chat channel) has a group ``presence:<topic>`` that
every process watching it joins. A process tells the others its own set
of keys (student ids, usernames) soon after it changes and every few
seconds anyway, and asks for theirs when it starts watching. What a
process has not repeated for a while is forgotten, so a process killed
without a word drops out of everyone's count. With one process the board
is just its own counts.
"""

import secrets
from collections import Counter
from collections.abc import Callable, Collection, Hashable
from typing import Any

from twisted.application.service import Service
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.task import LoopingCall
from zope.interface import implementer

from iclicker.groups.interface import IGroupMember, IGroups

HEARTBEAT = 5.0
"""How often a process repeats its keys for every topic it has sockets in."""
EXPIRY = 3 * HEARTBEAT
"""A process's keys count for this long after it last told them."""
TELL_DELAY = 0.1
"""Changes of the next this-many seconds are told together."""


def presence_group(topic: str) -> str:
    return f"presence:{topic}"


@implementer(IGroupMember)
class _Topic:
    """One topic's keys here and in the other processes; its group's member in this process."""

    def __init__(self, board: "PresenceBoard", topic: str) -> None:
        self.board = board
        self.topic = topic
        self.local: Counter[Hashable] = Counter()
        self.remote: dict[str, tuple[frozenset, float]] = {}
        """Origin -> (its keys, when it last told them)."""

    def deliver(self, message: dict[str, Any], encoded: Any) -> None:
        self.board.heard(self, message)

    def everyone(self) -> set:
        keys = set(self.local)
        for remote_keys, _ in self.remote.values():
            keys |= remote_keys
        return keys


class PresenceBoard(Service):
    """Counts keys per topic in this process and shares them with the other processes."""

    def __init__(
        self, groups: IGroups, clock: IReactorTime, changed: Callable[[str], None]
    ) -> None:
        self._groups = groups
        self._clock = clock
        self._changed = changed
        self._origin = secrets.token_hex(8)
        self._topics: dict[str, _Topic] = {}
        self._untold: set[str] = set()
        self._tell_call: IDelayedCall | None = None
        self._heartbeat = LoopingCall(self._repeat)
        self._heartbeat.clock = clock

    def startService(self) -> None:
        super().startService()
        self._heartbeat.start(HEARTBEAT, now=False)

    def stopService(self) -> None:
        """Tell the others this process has nobody any more, so they need not wait it out."""
        super().stopService()
        if self._heartbeat.running:
            self._heartbeat.stop()
        if self._tell_call is not None and self._tell_call.active():
            self._tell_call.cancel()
        for topic in list(self._topics):
            self.forget(topic)

    # -- the owner's side -----------------------------------------------------------

    def watch(self, topic: str) -> None:
        """Start following a topic: join its group and ask the others who they have."""
        if topic in self._topics:
            return
        state = self._topics[topic] = _Topic(self, topic)
        self._groups.group_add(presence_group(topic), state)
        self._groups.others_send(presence_group(topic), {"type": "who", "origin": self._origin})

    def forget(self, topic: str) -> None:
        """Stop following a topic; the others drop this process's keys at once."""
        state = self._topics.pop(topic, None)
        if state is None:
            return
        self._untold.discard(topic)
        self._groups.group_discard(presence_group(topic), state)
        self._tell(topic, ())

    def add(self, topic: str, key: Hashable) -> bool:
        """Count one more socket of ``key``; True if it is the key's first in this process."""
        self.watch(topic)
        local = self._topics[topic].local
        local[key] += 1
        if local[key] > 1:
            return False
        self._soon(topic)
        return True

    def remove(self, topic: str, key: Hashable) -> bool:
        """Count one socket of ``key`` less; True if that was its last in this process."""
        state = self._topics.get(topic)
        if state is None or key not in state.local:
            return False
        state.local[key] -= 1
        if state.local[key] > 0:
            return False
        del state.local[key]
        self._soon(topic)
        return True

    def here(self, topic: str) -> Collection[Hashable]:
        """Every key with a socket in any process (with one process, a live view: read it
        at once, without a copy of a thousand keys)."""
        state = self._topics.get(topic)
        if state is None:
            return ()
        return state.everyone() if state.remote else state.local.keys()

    def count(self, topic: str) -> int:
        return len(self.here(topic))

    def local_count(self, topic: str) -> int:
        state = self._topics.get(topic)
        return len(state.local) if state is not None else 0

    # -- between processes -------------------------------------------------------------

    def heard(self, state: _Topic, message: dict[str, Any]) -> None:
        origin = message.get("origin")
        if origin == self._origin or state.topic not in self._topics:
            return
        if message["type"] == "who":
            self._soon(state.topic)
            return
        keys = frozenset(message["keys"])
        previous = state.remote.get(origin)
        if keys:
            state.remote[origin] = (keys, self._clock.seconds())
        else:
            state.remote.pop(origin, None)
        if previous is None or previous[0] != keys:
            self._changed(state.topic)

    def _soon(self, topic: str) -> None:
        self._untold.add(topic)
        if self._tell_call is None:
            self._tell_call = self._clock.callLater(TELL_DELAY, self._tell_untold)

    def _tell_untold(self) -> None:
        self._tell_call = None
        untold, self._untold = self._untold, set()
        for topic in untold:
            state = self._topics.get(topic)
            if state is not None:
                self._tell(topic, state.local)

    def _tell(self, topic: str, keys) -> None:
        self._groups.others_send(
            presence_group(topic), {"type": "here", "origin": self._origin, "keys": list(keys)}
        )

    def _repeat(self) -> None:
        """The heartbeat: repeat this process's keys, forget processes gone quiet."""
        oldest = self._clock.seconds() - EXPIRY
        for topic, state in list(self._topics.items()):
            if state.local:
                self._tell(topic, state.local)
            quiet = [origin for origin, (_, heard) in state.remote.items() if heard < oldest]
            for origin in quiet:
                del state.remote[origin]
            if quiet:
                self._changed(topic)
