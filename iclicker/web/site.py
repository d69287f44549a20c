"""The one HTTP port's routes that are not features: health, static files, WebSocket upgrade."""

from klein import Klein
from twisted.web.resource import IResource
from twisted.web.server import Request
from twisted.web.static import File

from iclicker.domain.errors import NotFound
from iclicker.groups.redis import RedisGroups
from iclicker.store.db import Database
from iclicker.store.engine import DatabaseUnavailable
from iclicker.web.errors import error_body
from iclicker.web.guards import Guards
from iclicker.web.http import add_route, check_network, check_origin, json_response
from iclicker.web.templating import resource_dir


class StaticFiles(File):
    """``static/`` without directory listings; a missing file gets the site's 404."""

    def directoryListing(self) -> IResource:
        return self.childNotFound

    def createSimilarFile(self, path: str) -> File:
        similar = super().createSimilarFile(path)
        similar.childNotFound = self.childNotFound
        return similar


class CoreRoutes:
    """Health check, static files, and the WebSocket upgrade's first checks."""

    def __init__(
        self,
        database: Database,
        sockets: dict[str, IResource],
        guards: Guards,
        not_found: IResource,
        redis: RedisGroups | None = None,
    ) -> None:
        self._database = database
        self._redis = redis
        self._sockets = sockets
        self._guards = guards
        self._static = StaticFiles(str(resource_dir("static")))
        self._static.childNotFound = not_found

    def install(self, app: Klein) -> None:
        add_route(app, "/healthz", self.healthz, ["GET"])
        add_route(app, "/static/", self.static, ["GET", "HEAD"], branch=True)
        add_route(app, "/ws/", self.websocket, ["GET"], branch=True)

    async def healthz(self, request: Request) -> bytes:
        """200 once the database answers; load balancers and Docker poll this.

        Under ``--redis`` it names Redis's state too: without Redis the
        process still serves its own sockets, so it stays healthy (200).
        Without its database it is not: 503 with the error shape, naming it.
        """
        try:
            await self._database.ping()
        except DatabaseUnavailable as error:
            return json_response(request, 503, error_body("unavailable", error.message))
        health = {"status": "ok"}
        if self._redis is not None:
            health["redis"] = "ok" if self._redis.connected else "unreachable"
        return json_response(request, 200, health)

    def static(self, request: Request) -> IResource:
        return self._static

    def websocket(self, request: Request) -> IResource:
        """Every WebSocket endpoint (``/ws/<name>/...``): allowlist and Origin, before Autobahn.

        Checked here on the HTTP request, in the contract's order, so that a
        refused network or a foreign, ``null`` or malformed Origin gets 403
        whatever Autobahn would make of it; each endpoint's protocol then
        checks the session and its own admission rule.
        """
        check_network(request, self._guards)
        check_origin(request, self._guards)
        parts = request.path.decode("utf-8").split("/")
        socket = self._sockets.get(parts[2]) if len(parts) > 2 else None
        if socket is None:
            raise NotFound("There is no WebSocket endpoint at this address.")
        return socket
