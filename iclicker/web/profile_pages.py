"""HTML pages for one's own profile (photo, name, password) and for site admins."""

from klein import Klein
from twisted.web.server import Request

from iclicker.domain.errors import Forbidden
from iclicker.web.http import add_route
from iclicker.web.pagekit import PageKit


class ProfilePages:
    def __init__(self, kit: PageKit) -> None:
        self._kit = kit

    def install(self, app: Klein) -> None:
        add_route(app, "/profile", self.profile, ["GET"])
        add_route(app, "/admin", self.admin, ["GET"])

    async def profile(self, request: Request) -> bytes:
        user = await self._kit.require_viewer(request)
        return self._kit.render(request, "profile.html", user, me=user.as_json())

    async def admin(self, request: Request) -> bytes:
        """Search accounts, change roles, disable and enable (the page drives the admin API)."""
        user = await self._kit.require_viewer(request)
        if user.role != "admin":
            raise Forbidden("Only site admins can see this page.")
        return self._kit.render(request, "admin.html", user)
