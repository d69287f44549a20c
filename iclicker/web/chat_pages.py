"""HTML pages for chat: the rooms list, a room, one's contacts, a conversation.

The pages are shells: their scripts drive the chat API and sockets.
"""

from klein import Klein
from twisted.web.server import Request

from iclicker.domain.accounts import may_manage
from iclicker.domain.conversations import Conversations
from iclicker.domain.errors import Forbidden
from iclicker.domain.rooms import Rooms
from iclicker.web.http import add_route
from iclicker.web.pagekit import PageKit


class ChatPages:
    def __init__(self, kit: PageKit, rooms: Rooms, conversations: Conversations) -> None:
        self._kit = kit
        self._rooms = rooms
        self._conversations = conversations

    def install(self, app: Klein) -> None:
        add_route(app, "/rooms", self.rooms, ["GET"])
        add_route(app, "/rooms/<id:room_id>", self.room, ["GET"])
        add_route(app, "/contacts", self.contacts, ["GET"])
        add_route(app, "/dm/<username>", self.conversation, ["GET"])

    async def rooms(self, request: Request) -> bytes:
        user = await self._kit.require_viewer(request)
        return self._kit.render(request, "rooms.html", user)

    async def room(self, request: Request, room_id: int) -> bytes:
        user = await self._kit.require_viewer(request)
        room = await self._rooms.room(user, room_id)
        if not room.member:
            raise Forbidden("Join this room on the rooms page first.", "not_member")
        moderate = may_manage(user, room.admin_id)
        chat = {
            "kind": "room",
            "id": room.id,
            "me": user.username,
            "socket": f"/ws/rooms/{room.id}",
            "history": f"/api/rooms/{room.id}/messages",
            "moderate": moderate,
            "admin": room.admin_username,
        }
        return self._kit.render(
            request,
            "chat.html",
            user,
            title=room.name,
            room=room,
            chat=chat,
            moderate=moderate,
            is_room_admin=room.admin_id == user.id,
            back_url="/rooms",
            back_text="All rooms",
        )

    async def contacts(self, request: Request) -> bytes:
        user = await self._kit.require_viewer(request)
        return self._kit.render(request, "contacts.html", user)

    async def conversation(self, request: Request, username: str) -> bytes:
        user = await self._kit.require_viewer(request)
        peer = await self._conversations.peer(user, username)
        chat = {
            "kind": "dm",
            "me": user.username,
            "socket": f"/ws/dm/{peer.card.username}",
            "history": f"/api/dm/{peer.card.username}/messages",
        }
        return self._kit.render(
            request,
            "chat.html",
            user,
            title=f"Conversation with {peer.card.display_name}",
            room=None,
            chat=chat,
            back_url="/contacts",
            back_text="All messages",
        )
