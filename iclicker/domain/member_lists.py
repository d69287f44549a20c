"""Who may open a room's socket, kept in memory while the room has sockets in this process.

Letting a socket in used to cost a database read each, so a thousand
members reconnecting at once after the hall's Wi-Fi dropped made a thousand
reads, and what each read kept alive across its handshake made a room member
cost about 1 KiB more server memory than a lecture student
(``bench/chat_load.py``). Now a room's first socket in a process reads the
room and all its member ids at once and the others are let in from memory.
Someone not on the list (they may have just joined, through any process) is
looked up and added. Leaving, bans and the room's deletion reach every
process through the room's ``members:`` group, so a list never lets in
someone who was removed; a socket let in just before its member was removed
is told at open (``gone_since``), as it may have missed the ``removed`` frame.
"""

from typing import Any

import attrs
from twisted.internet.defer import Deferred
from zope.interface import implementer

from iclicker.domain.chat_values import Channel, room_channel
from iclicker.domain.errors import Forbidden, NotFound
from iclicker.groups.interface import IGroupMember, IGroups
from iclicker.store.chat import ChatStore, RoomRow


def members_group(room_id: int) -> str:
    return f"members:room:{room_id}"


def member_removed(room_id: int, user_id: int, reason: str) -> dict[str, Any]:
    """What the room's ``members:`` group hears when someone leaves or is banned."""
    return {"type": "member_removed", "room_id": room_id, "user_id": user_id, "reason": reason}


def removed(room_id: int, reason: str) -> dict[str, Any]:
    """What a removed member's sockets hear (those on other rooms ignore it)."""
    return {"type": "removed", "room_id": room_id, "reason": reason}


def room_deleted(room_id: int) -> dict[str, Any]:
    """What the room's sockets (and its ``members:`` group) hear when it is deleted."""
    return {"type": "room_deleted", "room_id": room_id}


@implementer(IGroupMember)
class _MemberList:
    """One room's members as this process knows them; its ``members:`` group's member here."""

    def __init__(self, room_id: int) -> None:
        self.room_id = room_id
        self.channel = room_channel(room_id)
        """One for all the room's sockets here."""
        self.room: RoomRow | None = None
        self.members: set[int] = set()
        self.removals = 0
        self.removed: dict[int, tuple[int, str]] = {}
        """User id -> (the number of the removal, its reason), for everyone removed while the
        list lives (rare, so kept)."""
        self.deleted = False
        self.failure: Exception | None = None
        """Why the first read failed, if it did."""
        self.sockets = 0
        self.waiting: list[Deferred] | None = []
        """Admissions waiting for the first read; None once it is done."""
        self._entry: Entry | None = None

    def entry(self) -> "Entry":
        """An admission now: one object for every socket let in between two removals."""
        if self._entry is None or self._entry.removals != self.removals:
            self._entry = Entry(self, self.removals)
        return self._entry

    def deliver(self, message: dict[str, Any], encoded: Any) -> None:
        if message["type"] == "room_deleted":
            self.deleted = True
            self.members.clear()
        elif message["type"] == "member_removed":
            self.removals += 1
            self.members.discard(message["user_id"])
            self.removed[message["user_id"]] = (self.removals, message["reason"])

    def removed_after(self, user_id: int, removals: int) -> str | None:
        """Why ``user_id`` was removed after the list had heard ``removals`` removals, if so."""
        number, reason = self.removed.get(user_id, (0, None))
        return reason if number > removals else None


@attrs.frozen
class Entry:
    """One socket's admission: the list that let it in, and how many removals that list
    had heard then."""

    listed: _MemberList
    removals: int

    @property
    def room(self) -> RoomRow:
        return self.listed.room

    @property
    def channel(self) -> Channel:
        return self.listed.channel


class MemberLists:
    """The member lists of the rooms with sockets (or sockets being let in) here."""

    def __init__(self, store: ChatStore, groups: IGroups) -> None:
        self._store = store
        self._groups = groups
        self._lists: dict[int, _MemberList] = {}

    async def enter(self, user_id: int, room_id: int) -> Entry:
        """Let a socket of ``user_id`` in (404 no such room, 403 ``not_member``); it counts
        as one of the room's sockets here until ``left``."""
        listed = self._lists.get(room_id)
        if listed is None:
            listed = self._lists[room_id] = _MemberList(room_id)
            # Listening before the read: a removal during it is not missed.
            self._groups.group_add(members_group(room_id), listed)
            Deferred.fromCoroutine(self._load(listed))
        listed.sockets += 1
        try:
            return await self._admit(listed, user_id)
        except BaseException:
            self._release(listed)
            raise

    def left(self, entry: Entry) -> None:
        """A socket let in by ``enter`` went away; a list without sockets is forgotten."""
        self._release(entry.listed)

    def gone_since(self, user_id: int, entry: Entry) -> dict[str, Any] | None:
        """The closing frame a socket let in with ``entry`` missed while it opened, if any."""
        listed = entry.listed
        if listed.deleted:
            return room_deleted(listed.room_id)
        reason = listed.removed_after(user_id, entry.removals)
        return removed(listed.room_id, reason) if reason is not None else None

    def forget_all(self) -> None:
        """Redis was away, so removals may have been missed: read every list again (the
        sockets let in from the old ones are being reconnected)."""
        for listed in list(self._lists.values()):
            self._forget(listed)

    async def _load(self, listed: _MemberList) -> None:
        waiting = listed.waiting
        try:
            room, members = await self._store.room_with_members(listed.room_id)
        except Exception as error:
            listed.failure = error
            self._forget(listed)  # at once: the next socket reads again
        else:
            listed.room = room
            if not listed.deleted:
                listed.members = members - listed.removed.keys()
        listed.waiting = None
        for admission in waiting:
            admission.callback(None)

    async def _admit(self, listed: _MemberList, user_id: int) -> Entry:
        if listed.waiting is not None:
            loaded: Deferred = Deferred()
            listed.waiting.append(loaded)
            await loaded
        if listed.failure is not None:
            raise listed.failure
        removals = listed.removals
        if listed.room is None or listed.deleted:
            raise NotFound("No such room.")
        if user_id in listed.members:
            return listed.entry()
        room = await self._store.room(listed.room_id, user_id)
        if room is None or listed.deleted:
            raise NotFound("No such room.")
        if not room.member:
            raise Forbidden("Only the room's members can do that.", "not_member")
        if listed.removed_after(user_id, removals) is None:
            listed.members.add(user_id)
        return Entry(listed, removals)

    def _release(self, listed: _MemberList) -> None:
        listed.sockets -= 1
        if listed.sockets == 0:
            self._forget(listed)

    def _forget(self, listed: _MemberList) -> None:
        if self._lists.get(listed.room_id) is listed:
            del self._lists[listed.room_id]
            self._groups.group_discard(members_group(listed.room_id), listed)
