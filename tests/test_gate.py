"""The site's root resource in memory: what reaches the routes, what goes straight to a
WebSocket endpoint."""

from twisted.web.resource import Resource
from twisted.web.test.requesthelper import DummyRequest

from iclicker.config import Config
from iclicker.domain.errors import Forbidden
from iclicker.web.gate import Gate
from iclicker.web.guards import Guards


class Recorder(Resource):
    """A leaf resource that remembers the paths it rendered."""

    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.rendered: list[bytes] = []

    def render(self, request) -> bytes:
        self.rendered.append(request.path)
        return b"ok"


class Channel:
    """The HTTP channel a request came on: its connection, and its requests."""

    def __init__(self) -> None:
        self.transport = object()
        self.requests: list = []


class TakingOver(Recorder):
    """A WebSocket endpoint: takes the connection over, unless the request says not to."""

    def render(self, request) -> bytes:
        if request.getHeader(b"upgrade") == b"websocket":
            request.channel.transport = None
        return super().render(request)


def request(method: bytes, path: bytes, upgrade: bool = True) -> DummyRequest:
    made = DummyRequest(path.split(b"/")[1:])
    made.method = method
    made.path = made.uri = path
    if upgrade:
        made.requestHeaders.setRawHeaders(b"upgrade", [b"websocket"])
    made.channel = Channel()
    made.channel.requests.append(made)
    return made


def test_an_accepted_upgrade_goes_straight_to_its_endpoint():
    """Not through the routes (Klein), whose cycle would keep the request alive; a refused
    one, another method or another path does go through them, and gets their answers."""
    routes, endpoint = Recorder(), TakingOver()

    def upgrade(request) -> Resource:
        if b"foreign" in request.path:
            raise Forbidden("The request's Origin is not this server.")
        return endpoint

    gate = Gate(routes, Guards(Config()), lambda *refusal: b"refused", upgrade)
    for method, path in [
        (b"GET", b"/ws/lectures/ABC123"),
        (b"GET", b"/ws/foreign/1"),
        (b"POST", b"/ws/lectures/ABC123"),
        (b"GET", b"/api/lectures"),
    ]:
        gate.render(request(method, path))
    assert endpoint.rendered == [b"/ws/lectures/ABC123"]
    assert routes.rendered == [b"/ws/foreign/1", b"/ws/lectures/ABC123", b"/api/lectures"]


def test_a_request_whose_connection_was_taken_over_is_let_go():
    """Its channel no longer lists it (they referred to each other); one that was not taken
    over stays the channel's, to be finished as usual."""
    gate = Gate(Recorder(), Guards(Config()), lambda *refusal: b"refused", lambda r: TakingOver())
    upgraded = request(b"GET", b"/ws/lectures/ABC123")
    gate.render(upgraded)
    assert upgraded.channel.requests == []
    plain = request(b"GET", b"/ws/lectures/ABC123", upgrade=False)
    gate.render(plain)
    assert plain.channel.requests == [plain]
