"""The chat JSON API: rooms, bans and history; user search, contacts and DM history."""

from klein import Klein
from twisted.web.server import Request

from iclicker.auth.sessions import Sessions
from iclicker.domain.accounts import User
from iclicker.domain.conversations import Conversations
from iclicker.domain.rooms import Rooms
from iclicker.web.cookies import authenticated_user, json_write
from iclicker.web.forms import form_int, form_value
from iclicker.web.guards import Guards
from iclicker.web.http import add_route, check_json_write, field, json_response


class ChatApi:
    def __init__(
        self, rooms: Rooms, conversations: Conversations, sessions: Sessions, guards: Guards
    ) -> None:
        self._rooms = rooms
        self._conversations = conversations
        self._sessions = sessions
        self._guards = guards

    def install(self, app: Klein) -> None:
        add_route(app, "/api/rooms", self.create_room, ["POST"])
        add_route(app, "/api/rooms", self.rooms, ["GET"])
        add_route(app, "/api/rooms/<id:room_id>", self.delete_room, ["DELETE"])
        add_route(app, "/api/rooms/<id:room_id>/join", self.join, ["POST"])
        add_route(app, "/api/rooms/<id:room_id>/leave", self.leave, ["POST"])
        add_route(app, "/api/rooms/<id:room_id>/members", self.members, ["GET"])
        add_route(app, "/api/rooms/<id:room_id>/bans", self.ban, ["POST"])
        add_route(app, "/api/rooms/<id:room_id>/bans", self.bans, ["GET"])
        add_route(app, "/api/rooms/<id:room_id>/bans/<username>", self.unban, ["DELETE"])
        add_route(app, "/api/rooms/<id:room_id>/messages", self.room_messages, ["GET"])
        add_route(app, "/api/users", self.users, ["GET"])
        add_route(app, "/api/contacts", self.contacts, ["GET"])
        add_route(app, "/api/contacts", self.add_contact, ["POST"])
        add_route(app, "/api/contacts/<username>", self.remove_contact, ["DELETE"])
        add_route(app, "/api/dm/<username>/messages", self.dm_messages, ["GET"])

    async def _deleter(self, request: Request) -> User:
        """A DELETE's checks: JSON media type and Origin (the body is ignored), then the user."""
        check_json_write(request, self._guards)
        return await authenticated_user(request, self._sessions)

    @staticmethod
    def _no_content(request: Request) -> bytes:
        request.setResponseCode(204)
        return b""

    # -- rooms ---------------------------------------------------------------------

    async def create_room(self, request: Request) -> bytes:
        user, body = await json_write(request, self._guards, self._sessions)
        room = await self._rooms.create(
            user, field(body, "name", str), field(body, "key", str, required=False)
        )
        return json_response(request, 201, {"room": room})

    async def rooms(self, request: Request) -> bytes:
        user = await authenticated_user(request, self._sessions)
        return json_response(request, 200, {"rooms": await self._rooms.all(user)})

    async def delete_room(self, request: Request, room_id: int) -> bytes:
        user = await self._deleter(request)
        await self._rooms.delete(user, room_id)
        return self._no_content(request)

    async def join(self, request: Request, room_id: int) -> bytes:
        user, body = await json_write(request, self._guards, self._sessions)
        room = await self._rooms.join(user, room_id, field(body, "key", str, required=False))
        return json_response(request, 200, {"room": room})

    async def leave(self, request: Request, room_id: int) -> bytes:
        user, _ = await json_write(request, self._guards, self._sessions)
        await self._rooms.leave(user, room_id)
        return self._no_content(request)

    async def members(self, request: Request, room_id: int) -> bytes:
        user = await authenticated_user(request, self._sessions)
        return json_response(request, 200, {"members": await self._rooms.members(user, room_id)})

    async def ban(self, request: Request, room_id: int) -> bytes:
        user, body = await json_write(request, self._guards, self._sessions)
        await self._rooms.ban(user, room_id, field(body, "username", str))
        return self._no_content(request)

    async def bans(self, request: Request, room_id: int) -> bytes:
        user = await authenticated_user(request, self._sessions)
        return json_response(request, 200, {"bans": await self._rooms.bans(user, room_id)})

    async def unban(self, request: Request, room_id: int, username: str) -> bytes:
        user = await self._deleter(request)
        await self._rooms.unban(user, room_id, username)
        return self._no_content(request)

    async def room_messages(self, request: Request, room_id: int) -> bytes:
        user = await authenticated_user(request, self._sessions)
        messages = await self._rooms.history(
            user, room_id, form_int(request, "before"), form_int(request, "limit")
        )
        return json_response(request, 200, {"messages": messages})

    # -- people and direct messages ---------------------------------------------------

    async def users(self, request: Request) -> bytes:
        user = await authenticated_user(request, self._sessions)
        found = await self._conversations.find_users(user, form_value(request, "q"))
        return json_response(request, 200, {"users": found})

    async def contacts(self, request: Request) -> bytes:
        user = await authenticated_user(request, self._sessions)
        return json_response(request, 200, {"contacts": await self._conversations.contacts(user)})

    async def add_contact(self, request: Request) -> bytes:
        user, body = await json_write(request, self._guards, self._sessions)
        contact, added = await self._conversations.add_contact(user, field(body, "username", str))
        return json_response(request, 201 if added else 200, {"contact": contact})

    async def remove_contact(self, request: Request, username: str) -> bytes:
        user = await self._deleter(request)
        await self._conversations.remove_contact(user, username)
        return self._no_content(request)

    async def dm_messages(self, request: Request, username: str) -> bytes:
        user = await authenticated_user(request, self._sessions)
        messages = await self._conversations.history(
            user, username, form_int(request, "before"), form_int(request, "limit")
        )
        return json_response(request, 200, {"messages": messages})
