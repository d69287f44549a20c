"""Chat rooms: who may create, join, read, moderate and delete them.

The creator is the room's admin; site admins have an admin's rights in every
room (and join private rooms without the key). A private room's key is kept
only as a bcrypt hash of its SHA-256 (keys may be longer than bcrypt's 72
bytes). Removing someone, by leave or ban, and deleting a room tell the
affected sockets through groups; this module never touches a socket.
"""

import hashlib

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from iclicker.auth.passwords import PasswordHasher
from iclicker.domain.accounts import User, may_manage
from iclicker.domain.admin import user_group
from iclicker.domain.channels import Channels
from iclicker.domain.chat_values import (
    card_json,
    check_key,
    check_page,
    check_room_name,
    find_user,
    room_channel,
    room_json,
)
from iclicker.domain.errors import Conflict, Forbidden, NotFound
from iclicker.domain.member_lists import (
    Entry,
    MemberLists,
    member_removed,
    members_group,
    removed,
    room_deleted,
)
from iclicker.groups.interface import IGroups
from iclicker.store.chat import ChatStore, NameTaken, RoomRow


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Rooms:
    log = Logger()

    def __init__(
        self,
        store: ChatStore,
        channels: Channels,
        groups: IGroups,
        hasher: PasswordHasher,
        clock: IReactorTime,
    ) -> None:
        self._store = store
        self._channels = channels
        self._groups = groups
        self._hasher = hasher
        self._clock = clock
        self._member_lists = MemberLists(store, groups)

    async def create(self, user: User, name: str, key: str | None) -> dict:
        name, key = check_room_name(name), check_key(key)
        key_hash = await self._hasher.hash(_key_digest(key)) if key else None
        try:
            room = await self._store.create_room(name, key_hash, user.id, self._clock.seconds())
        except NameTaken:
            raise Conflict("Another room has that name.", "name_taken") from None
        self.log.info("Room {room_id} created by user {user_id}", room_id=room.id, user_id=user.id)
        return room_json(room)

    async def all(self, user: User) -> list[dict]:
        return [room_json(room) for room in await self._store.rooms(user.id)]

    async def room(self, user: User, room_id: int) -> RoomRow:
        room = await self._store.room(room_id, user.id)
        if room is None:
            raise NotFound("No such room.")
        return room

    async def member_room(self, user: User, room_id: int) -> RoomRow:
        """The room, if ``user`` is a member: unknown 404, others 403 ``not_member``."""
        room = await self.room(user, room_id)
        if not room.member:
            raise Forbidden("Only the room's members can do that.", "not_member")
        return room

    async def enter(self, user: User, room_id: int) -> Entry:
        """Let a socket of a member in (as ``member_room``, mostly without reading the
        database); it holds the room's member list here until ``left``."""
        return await self._member_lists.enter(user.id, room_id)

    def left(self, entry: Entry) -> None:
        self._member_lists.left(entry)

    def gone_since(self, user: User, entry: Entry) -> dict | None:
        """The closing frame (``removed``, ``room_deleted``) a socket let in with ``entry``
        may have missed before it joined the room's groups."""
        return self._member_lists.gone_since(user.id, entry)

    def forget_member_lists(self) -> None:
        self._member_lists.forget_all()

    async def join(self, user: User, room_id: int, key: str | None) -> dict:
        room = await self.room(user, room_id)
        if room.member:
            return room_json(room)
        if await self._store.is_banned(room.id, user.id):
            raise Forbidden("You are banned from this room.", "banned")
        if room.key_hash is not None and user.role != "admin":
            if not key or not await self._hasher.check(_key_digest(key), room.key_hash):
                raise Forbidden("That is not this room's key.", "bad_key")
        await self._store.join_room(room.id, user.id, self._clock.seconds())
        return room_json(room, member=True)

    async def leave(self, user: User, room_id: int) -> None:
        room = await self.room(user, room_id)
        if room.admin_id == user.id:
            raise Conflict("The room's admin cannot leave it; delete it instead.")
        if await self._store.leave_room(room.id, user.id):
            self._removed(room.id, user.id, "left")

    async def _moderated(self, user: User, room_id: int) -> RoomRow:
        """The room, if ``user`` is its admin or a site admin (403 ``forbidden`` otherwise)."""
        room = await self.room(user, room_id)
        if not may_manage(user, room.admin_id):
            raise Forbidden("Only the room's admin can do that.")
        return room

    async def delete(self, user: User, room_id: int) -> None:
        """Delete the room with everything in it, and close every socket open on it."""
        room = await self._moderated(user, room_id)
        await self._store.delete_room(room.id)
        channel = room_channel(room.id)
        self._channels.forget(channel)
        self._groups.group_send(members_group(room.id), room_deleted(room.id))
        self._groups.group_send(channel.group, room_deleted(room.id))
        self.log.info("Room {room_id} deleted by user {user_id}", room_id=room.id, user_id=user.id)

    async def members(self, user: User, room_id: int) -> list[dict]:
        room = await self.member_room(user, room_id)
        return [
            {**card_json(member.card), "admin": member.admin}
            for member in await self._store.members(room.id)
        ]

    async def _target(self, username: str) -> int | None:
        found = await find_user(self._store, username)
        return found[0] if found else None

    async def ban(self, user: User, room_id: int, username: str) -> None:
        room = await self._moderated(user, room_id)
        target = await self._target(username)
        if target is None:
            raise NotFound("That user is not a member of this room.")
        if target == room.admin_id:
            raise Conflict("The room's admin cannot be banned.")
        if not await self._store.ban(room.id, target, self._clock.seconds()):
            raise NotFound("That user is not a member of this room.")
        self._removed(room.id, target, "banned")

    async def bans(self, user: User, room_id: int) -> list[str]:
        room = await self._moderated(user, room_id)
        return await self._store.bans(room.id)

    async def unban(self, user: User, room_id: int, username: str) -> None:
        room = await self._moderated(user, room_id)
        target = await self._target(username)
        if target is None or not await self._store.unban(room.id, target):
            raise NotFound("That user is not banned from this room.")

    def _removed(self, room_id: int, user_id: int, reason: str) -> None:
        """Tell every process's member list, then the user's sockets; those on this room
        close (the others ignore it)."""
        self._groups.group_send(members_group(room_id), member_removed(room_id, user_id, reason))
        self._groups.group_send(user_group(user_id), removed(room_id, reason))

    async def history(
        self, user: User, room_id: int, before: int | None, limit: int | None
    ) -> list[dict]:
        before, limit = check_page(before, limit)
        room = await self.member_room(user, room_id)
        return await self._channels.history(room_channel(room.id), before, limit)
