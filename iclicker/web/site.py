"""The root of the one HTTP port: routes each top-level path to the part that serves it."""

from klein import Klein
from twisted.web.resource import IResource
from twisted.web.server import Request
from twisted.web.static import File

from iclicker.store.db import Database
from iclicker.web.errors import install_json_errors
from iclicker.web.http import json_response
from iclicker.web.templating import resource_dir


def _ping_txn(txn) -> None:
    txn.execute("SELECT 1")


class Root:
    """Mounts the API, the WebSocket endpoint, static files and the pages on one site."""

    app = Klein()

    def __init__(
        self,
        database: Database,
        api: IResource,
        pages: IResource,
    ) -> None:
        self._database = database
        self._api = api
        self._pages = pages
        self._static = File(str(resource_dir("static")))

    @app.route("/healthz", methods=["GET"])
    async def healthz(self, request: Request) -> bytes:
        await self._database.run(_ping_txn)
        return json_response(request, 200, {"status": "ok"})

    @app.route("/api/", branch=True)
    def api(self, request: Request) -> IResource:
        return self._api

    @app.route("/static/", branch=True)
    def static(self, request: Request) -> IResource:
        return self._static

    @app.route("/", branch=True)
    def pages(self, request: Request) -> IResource:
        return self._pages


install_json_errors(Root.app)
