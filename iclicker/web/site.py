"""The one HTTP port's routes: health, static files, the WebSocket, the API and the pages."""

from klein import Klein
from twisted.web.resource import IResource
from twisted.web.server import Request
from twisted.web.static import File

from iclicker.store.db import Database
from iclicker.web.http import add_route, json_response
from iclicker.web.templating import resource_dir


def _ping_txn(txn) -> None:
    txn.execute("SELECT 1")


class Plumbing:
    """The routes that are not features: health check, static files, WebSocket upgrade."""

    def __init__(self, database: Database, websocket: IResource) -> None:
        self._database = database
        self._websocket = websocket
        self._static = File(str(resource_dir("static")))

    def install(self, app: Klein) -> None:
        add_route(app, "/healthz", self.healthz, ["GET"])
        add_route(app, "/static/", self.static, ["GET", "HEAD"], branch=True)
        add_route(app, "/ws/", self.websocket, ["GET"], branch=True)

    async def healthz(self, request: Request) -> bytes:
        """200 once the database answers; load balancers and Docker poll this."""
        await self._database.run(_ping_txn)
        return json_response(request, 200, {"status": "ok"})

    def static(self, request: Request) -> IResource:
        return self._static

    def websocket(self, request: Request) -> IResource:
        return self._websocket
