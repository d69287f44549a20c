"""The site's root resource: checks every request before any route or file sees it, and
hands WebSocket upgrades straight to their endpoint."""

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from twisted.web.resource import IResource, Resource
from twisted.web.server import Request

from iclicker.domain.errors import DomainError
from iclicker.web.guards import Guards
from iclicker.web.http import client_address

Refuse = Callable[[Request, int, str, str], bytes]
Upgrade = Callable[[Request], IResource]
"""The endpoint resource for a WebSocket upgrade; raises ``DomainError`` to refuse it."""

UNGUARDED = b"/healthz"
"""Load balancers and Docker poll this from wherever they run."""


def _routable_host(host: bytes) -> bool:
    """Can the router bind this Host? (Werkzeug raises, outside Klein's handlers, if not.)"""
    try:
        host.decode("utf-8").lower().encode("idna")
    except UnicodeError:
        return False
    return True


class Gate(Resource):
    """Refuses what no route should see: a bad path or Host, a network not allowed.

    With ``--allow-net-http`` the allowlist covers everything but
    ``/healthz`` here, in one place: API, pages, static files, unknown paths
    and the WebSocket upgrade alike.
    """

    isLeaf = True

    def __init__(self, routes: IResource, guards: Guards, refuse: Refuse, upgrade: Upgrade) -> None:
        super().__init__()
        self._routes = routes
        self._guards = guards
        self._refuse = refuse
        self._upgrade = upgrade

    def render(self, request: Request) -> bytes | int:
        path = unquote_to_bytes(request.path)
        try:
            path.decode("utf-8")
        except UnicodeDecodeError:
            return self._refuse(request, 400, "invalid_request", "The address is not valid UTF-8.")
        if not _routable_host(request.getRequestHostname()):
            return self._refuse(request, 400, "invalid_request", "The Host header is not valid.")
        if b"\0" in path:
            # No route takes it, and the file system raises on it.
            return self._refuse(request, 400, "invalid_request", "The address contains U+0000.")
        if (
            self._guards.allow_net_http
            and request.path != UNGUARDED
            and not self._guards.network_allowed(client_address(request, self._guards))
        ):
            return self._refuse(
                request,
                403,
                "network_not_allowed",
                "Your network is not allowed to use this server.",
            )
        if request.method == b"GET" and request.path.startswith(b"/ws/"):
            return self._render_upgrade(request)
        return self._routes.render(request)

    def _render_upgrade(self, request: Request) -> bytes | int:
        """An accepted upgrade goes to its endpoint without Klein's routing, and the HTTP
        request is let go once the socket has taken the connection over.

        Either would otherwise keep the request (and its headers, body buffer and channel)
        until a full garbage collection: Klein's routing leaves a reference cycle holding
        it, and the channel, which nothing uses after the takeover, keeps it in its list
        of requests that refers back to it. That was ~3 KiB per connected socket
        (bench/lecture_load.py). A refusal goes through the routes, which answer it like
        any other failed request (same check, same error).
        """
        try:
            endpoint = self._upgrade(request)
        except DomainError:
            return self._routes.render(request)
        channel = request.channel
        rendered = endpoint.render(request)
        if channel.transport is None and request in channel.requests:
            channel.requests.remove(request)  # taken over: this request never finishes
        return rendered
