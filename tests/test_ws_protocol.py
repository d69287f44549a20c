"""Sockets in memory: the lecture socket's in-flight limit and last-resort errors, what a
chat socket skips, and what a room socket lets go of."""

import json
from types import SimpleNamespace

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock

from iclicker.domain.accounts import User
from iclicker.domain.chat_values import room_channel
from iclicker.ws.lecture_socket import LectureHall, LectureSocket
from iclicker.ws.ratelimit import RateLimiter
from iclicker.ws.socket import MAX_IN_FLIGHT

STUDENT = User(10, "s", "S", "student")


class HangingLectures:
    """Answers that wait for a commit until the test releases them."""

    def __init__(self) -> None:
        self.pending: list[Deferred] = []

    async def answer(self, live, user_id, question_id, choice, confidence=None) -> str:
        waiting: Deferred = Deferred()
        self.pending.append(waiting)
        return await waiting


class BrokenLectures:
    async def answer(self, live, user_id, question_id, choice, confidence=None) -> None:
        raise KeyError("a bug")


class FakeContext:
    clock = Clock()


class FakeFactory:
    def __init__(self, lectures) -> None:
        self.context = FakeContext()
        self.domain = LectureHall(lectures, None)


def open_socket(lectures) -> tuple[LectureSocket, list[dict]]:
    protocol = LectureSocket()
    protocol.factory = FakeFactory(lectures)
    protocol.state = protocol.STATE_OPEN
    protocol.user = STUDENT
    protocol._live = object()
    protocol._limiter = RateLimiter(updated=0.0)
    sent: list[dict] = []
    protocol.sendMessage = lambda payload, *args, **kwargs: sent.append(json.loads(payload))
    return protocol, sent


def answer(protocol: LectureSocket, number: int) -> None:
    frame = {"type": "answer", "question_id": 1, "choice": str(number)}
    protocol.onMessage(json.dumps(frame).encode(), False)


def test_answers_waiting_for_their_commit_are_bounded_per_socket():
    """Past 8 answers in flight a socket gets rate_limited; acks free the slots again."""
    lectures = HangingLectures()
    protocol, sent = open_socket(lectures)
    for number in range(MAX_IN_FLIGHT + 2):
        answer(protocol, number)
    assert len(lectures.pending) == MAX_IN_FLIGHT
    assert [message["code"] for message in sent] == ["rate_limited", "rate_limited"]
    lectures.pending[0].callback("0")
    assert sent[-1] == {"type": "answer_ack", "question_id": 1, "choice": "0"}
    answer(protocol, 99)
    assert len(lectures.pending) == MAX_IN_FLIGHT + 1


def test_a_bug_while_answering_is_an_internal_error_frame():
    """An unexpected exception becomes an internal_error frame; the socket is not closed."""
    protocol, sent = open_socket(BrokenLectures())
    answer(protocol, 1)
    assert sent == [
        {
            "type": "error",
            "code": "internal_error",
            "message": "The server could not handle that message.",
        }
    ]
    assert protocol.state == protocol.STATE_OPEN
    assert protocol._in_flight == 0


def test_a_bug_in_frame_handling_itself_keeps_the_socket():
    """Even a failure outside the answer coroutine answers internal_error."""
    protocol, sent = open_socket(HangingLectures())
    protocol._limiter = None  # any attribute error on the hot path
    protocol.onMessage(b'{"type": "ping"}', False)
    assert sent[-1]["code"] == "internal_error"
    assert protocol.state == protocol.STATE_OPEN


def test_a_chat_socket_skips_the_messages_its_hello_carried():
    """Older messages are dropped; a batch straddling hello is opened, a newer one kept whole."""
    from iclicker.ws.chat_sockets import RoomSocket
    from iclicker.ws.messages import prepared_frame

    class Groups:
        encode = staticmethod(prepared_frame)

    class Context:
        groups = Groups()

    class Factory:
        context = Context()

    socket = RoomSocket()
    socket.factory = Factory()
    socket._newest_seen = 7

    def message(number: int) -> dict:
        return {"type": "message", "message": {"id": number}}

    batch = {"type": "batch", "messages": [message(6), message(7), message(8)]}
    presence = {"type": "presence", "online": ["a"]}
    held = [(batch, prepared_frame(batch)), (presence, b"p"), (message(9), b"m9")]
    kept = [fresh for message, encoded in held for fresh in socket._news(message, encoded)]
    assert [m["type"] for m, _ in kept] == ["message", "presence", "message"]
    assert [m["message"]["id"] for m, _ in kept if m["type"] == "message"] == [8, 9]
    assert kept[0][1] == prepared_frame(message(8))
    newer = {"type": "batch", "messages": [message(10), message(11)]}
    assert socket._news(newer, b"frames") == [(newer, b"frames")]


ENTRY = SimpleNamespace(channel=room_channel(5))
"""What the rooms let a socket in with (an ``Entry``)."""


class EnteringRooms:
    """Rooms whose admissions wait for the test; records the sockets let go of."""

    def __init__(self) -> None:
        self.admissions: list[Deferred] = []
        self.let_go: list = []

    async def enter(self, user, room_id):
        admission: Deferred = Deferred()
        self.admissions.append(admission)
        return await admission

    def left(self, entry) -> None:
        self.let_go.append(entry)


def a_room_socket(monkeypatch) -> tuple:
    """A room socket being let in (its handshake waiting on ``rooms.admissions``)."""
    from autobahn.twisted.websocket import WebSocketServerProtocol

    from iclicker.ws.chat_sockets import Chat, RoomSocket

    monkeypatch.setattr(WebSocketServerProtocol, "connectionLost", lambda self, reason: None)
    rooms = EnteringRooms()

    class Sessions:
        async def user(self, token):
            return STUDENT

    class Tracker:
        def discard(self, socket, user_id) -> None:
            pass

    class Context:
        sessions = Sessions()
        tracker = Tracker()

    class Factory:
        context = Context()
        domain = Chat(rooms, None, None)

    class Request:
        headers = {"cookie": "iclicker_session=token"}
        path = "/ws/rooms/5"

    socket = RoomSocket()
    socket.factory = Factory()
    handshake = Deferred.fromCoroutine(socket._admit_safely(Request()))
    return socket, rooms, handshake


def test_a_room_socket_lets_go_of_its_room_once_however_it_goes(monkeypatch):
    """Let in then closed; let in after its client left; refused after its client left."""
    from twisted.internet.error import ConnectionDone
    from twisted.python.failure import Failure

    from iclicker.domain.errors import Forbidden

    gone = Failure(ConnectionDone())
    socket, rooms, _ = a_room_socket(monkeypatch)
    rooms.admissions[0].callback(ENTRY)
    assert rooms.let_go == []
    socket.connectionLost(gone)
    assert rooms.let_go == [ENTRY]

    socket, rooms, _ = a_room_socket(monkeypatch)
    socket.connectionLost(gone)
    rooms.admissions[0].callback(ENTRY)
    assert rooms.let_go == [ENTRY]

    socket, rooms, handshake = a_room_socket(monkeypatch)
    socket.connectionLost(gone)
    rooms.admissions[0].errback(Forbidden("Only the room's members can do that.", "not_member"))
    handshake.addErrback(lambda failure: None)
    assert rooms.let_go == []


def test_a_room_socket_removed_while_opening_is_told_and_closed(monkeypatch):
    """It may have missed the ``removed`` frame: it gets one instead of ``hello``."""
    from iclicker.ws.socket import CLOSE_REMOVED

    socket, rooms, _ = a_room_socket(monkeypatch)
    rooms.admissions[0].callback(ENTRY)
    frame = {"type": "removed", "room_id": 5, "reason": "banned"}
    rooms.gone_since = lambda user, entry: frame if entry is ENTRY else None
    sent, closed = [], []
    socket.send = sent.append
    socket.close_with = lambda code, reason: closed.append(code)
    hello = Deferred.fromCoroutine(socket.hello())
    assert hello.result is None
    assert (sent, closed) == ([frame], [CLOSE_REMOVED])
