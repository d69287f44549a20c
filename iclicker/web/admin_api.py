"""The site admin JSON API: find accounts, change roles, disable and enable them."""

from klein import Klein
from twisted.web.server import Request

from iclicker.auth.sessions import Sessions
from iclicker.domain.admin import SiteAdmin
from iclicker.web.cookies import authenticated_user, json_write
from iclicker.web.forms import form_value
from iclicker.web.guards import Guards
from iclicker.web.http import add_route, field, json_response


class AdminApi:
    def __init__(self, admin: SiteAdmin, sessions: Sessions, guards: Guards) -> None:
        self._admin = admin
        self._sessions = sessions
        self._guards = guards

    def install(self, app: Klein) -> None:
        add_route(app, "/api/admin/users", self.users, ["GET"])
        add_route(app, "/api/admin/users/<username>", self.update, ["POST"])

    async def users(self, request: Request) -> bytes:
        user = await authenticated_user(request, self._sessions)
        found = await self._admin.users(user, form_value(request, "q"))
        return json_response(request, 200, {"users": [u.as_json() for u in found]})

    async def update(self, request: Request, username: str) -> bytes:
        user, body = await json_write(request, self._guards, self._sessions)
        updated = await self._admin.update(
            user,
            username,
            field(body, "role", str, required=False),
            field(body, "disabled", bool, required=False),
        )
        return json_response(request, 200, {"user": updated.as_json()})
