"""Property-based fuzzing over loopback: generated bodies, paths, ids, headers and frames.

The invariants, whatever arrives: never a 500; every error under /api/ is the
JSON error shape; a WebSocket frame gets exactly one answer (an ``error``
such as ``bad_message``, or the reply it asked for) and the socket stays
open; the server answers /healthz promptly afterwards. The budget per test
is ``ICLICKER_FUZZ_EXAMPLES`` (small in CI); ``scripts/fuzz`` runs longer.
"""

import json
import os
from urllib.parse import quote, quote_from_bytes

import pytest_twisted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import (
    User,
    ask,
    body_of,
    connect,
    instructor,
    open_socket,
    sleep,
    start_lecture,
    students,
)
from twisted.internet import reactor
from twisted.internet.defer import Deferred

EXAMPLES = int(os.environ.get("ICLICKER_FUZZ_EXAMPLES", "30"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("ICLICKER_FUZZ_RANDOM") is None,
    suppress_health_check=list(HealthCheck),
)

ROUTES = [
    ("POST", "/api/register"),
    ("POST", "/api/login"),
    ("POST", "/api/logout"),
    ("GET", "/api/me"),
    ("POST", "/api/lectures"),
    ("GET", "/api/lectures"),
    ("GET", "/api/lectures/{id}"),
    ("POST", "/api/lectures/{id}/questions"),
    ("GET", "/api/lectures/{id}/questions"),
    ("POST", "/api/lectures/{id}/questions/{qid}/close"),
    ("POST", "/api/lectures/{id}/end"),
    ("GET", "/api/lectures/{id}/responses.csv"),
    ("POST", "/api/rooms"),
    ("POST", "/api/rooms/{id}/join"),
    ("POST", "/api/rooms/{id}/bans"),
    ("GET", "/api/rooms/{id}/messages"),
    ("DELETE", "/api/rooms/{id}"),
    ("POST", "/api/contacts"),
    ("GET", "/api/dm/{qid}/messages"),
    ("POST", "/login"),
    ("POST", "/register"),
    ("POST", "/lectures"),
    ("POST", "/logout"),
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
CONTENT_TYPES = [
    "application/json",
    "Application/JSON; charset=utf-8",
    "text/plain",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "application/x-www-form-urlencoded",
    "",
]
FIELDS = [
    "username",
    "password",
    "display_name",
    "title",
    "text",
    "choices",
    "correct",
    "name",
    "key",
]

text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
ids = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 2, 2**31, 2**63 - 1, 2**63, 2**64, 10**30]),
)
json_values = st.recursive(
    st.none() | st.booleans() | ids | st.floats(allow_nan=False) | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)
field_bodies = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5)
raw_bodies = st.one_of(
    json_values.map(lambda value: json.dumps(value).encode()),
    field_bodies.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=600),
    st.integers(min_value=30, max_value=20_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=30, max_value=20_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.sampled_from([b"NaN", b"1e999999", b'{"title": "\\u0000"}', b"\xef\xbb\xbf{}"]),
)
header_values = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=60,
)


def error_shape_ok(response, method: str) -> bool:
    if response.headers.getRawHeaders("content-type") != ["application/json"]:
        return False
    if method == "HEAD":
        return response.body == b""
    body = json.loads(response.body)
    return set(body) == {"error"} and set(body["error"]) == {"code", "message"}


def check(response, method: str, path: str) -> None:
    assert response.code < 500, (method, path, response.code, response.body[:200])
    if path.startswith("/api/") and response.code >= 400:
        assert error_shape_ok(response, method), (method, path, response.code, response.body[:200])


async def check_healthy(server) -> None:
    """The server answers /healthz within two seconds."""
    pending = Deferred.fromCoroutine(User(server).get("/healthz"))
    response = await pending.addTimeout(2, reactor)
    assert response.code == 200


@pytest_twisted.async_yield_fixture
async def lecture_scene(server):
    prof = await instructor(server)
    lecture = await start_lecture(prof)
    question = await ask(prof, lecture)
    yield server, prof, lecture, question
    await check_healthy(server)


def fill(template: str, lecture_id, question_id) -> str:
    return template.replace("{id}", str(lecture_id)).replace("{qid}", str(question_id))


@FUZZ
@given(
    route=st.sampled_from(ROUTES),
    lecture_id=st.one_of(st.none(), ids),
    question_id=st.one_of(st.none(), ids),
    body=raw_bodies,
    content_type=st.sampled_from(CONTENT_TYPES),
    signed_in=st.booleans(),
)
@pytest_twisted.ensureDeferred
async def test_generated_bodies_and_ids_never_get_a_500(
    lecture_scene, route, lecture_id, question_id, body, content_type, signed_in
):
    """Any body, content type and id on any route: a 4xx or success, JSON errors under /api."""
    server, prof, lecture, question = lecture_scene
    method, template = route
    path = fill(
        template,
        lecture["id"] if lecture_id is None else lecture_id,
        question["id"] if question_id is None else question_id,
    )
    client = prof if signed_in else User(server)
    headers = {"Content-Type": [content_type]} if content_type else {}
    response = await client.request(method, path, data=body, headers=headers)
    check(response, method, path)


@FUZZ
@given(
    method=st.sampled_from(METHODS),
    prefix=st.sampled_from(["/api/", "/api/lectures/", "/", "/static/", "/lectures/", "/join/"]),
    segments=st.lists(
        st.one_of(
            text.map(lambda segment: quote(segment, safe="")),
            st.binary(max_size=12).map(lambda raw: quote_from_bytes(raw, safe="")),
            ids.map(str),
            st.sampled_from(["..", ".", "%2e%2e", "%00", "%ff", "", "responses.csv"]),
        ),
        max_size=4,
    ),
    query=st.one_of(st.just(""), text.map(lambda value: "?next=" + quote(value, safe="/"))),
)
@pytest_twisted.ensureDeferred
async def test_generated_paths_never_get_a_500(lecture_scene, method, prefix, segments, query):
    """Any path, percent-encoding and method: never a 500; JSON errors under /api/."""
    server, prof, _, _ = lecture_scene
    path = prefix + "/".join(segments) + query
    response = await prof.request(method, path)
    check(response, method, path)


@FUZZ
@given(
    route=st.sampled_from([("GET", "/api/me"), ("POST", "/api/login"), ("GET", "/")]),
    headers=st.dictionaries(
        st.sampled_from(
            [
                "Origin",
                "Host",
                "Cookie",
                "X-Forwarded-For",
                "X-Forwarded-Proto",
                "Content-Type",
                "Accept",
                "X-Requested-With",
                "X-Anything",
            ]
        ),
        header_values,
        max_size=5,
    ),
)
@pytest_twisted.ensureDeferred
async def test_generated_headers_never_get_a_500(lecture_scene, route, headers):
    """Any Origin, Host, Cookie or forwarding header: never a 500."""
    server, prof, _, _ = lecture_scene
    method, path = route
    response = await User(server).request(
        method,
        path,
        data=b'{"username": "nobody", "password": "whatever"}',
        headers={name: [value.encode("latin-1")] for name, value in headers.items()},
    )
    check(response, method, path)


frames = st.one_of(
    json_values.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["answer", "ping", "Answer", "", "hello"])},
        optional={"question_id": json_values, "choice": json_values},
    ).map(lambda value: json.dumps(value).encode()),
    text.map(str.encode),
    st.integers(min_value=30, max_value=5000).map(lambda n: b"[" * n + b"]" * n),
)


@pytest_twisted.async_yield_fixture
async def student_socket(lecture_scene):
    server, prof, lecture, question = lecture_scene
    (student,) = await students(server, 1, prefix="fuzzed")
    client = await connect(server, lecture["join_code"], student)
    await client.next_of("hello")
    yield client, question
    assert client.close_code is None, "no frame may close the socket"
    client.close()


@FUZZ
@given(payload=frames, binary=st.booleans())
@pytest_twisted.ensureDeferred
async def test_generated_frames_get_one_answer_and_the_socket_lives(
    student_socket, payload, binary
):
    """Any frame gets exactly one answer (an error, an ack or a pong); the socket stays open."""
    client, _ = student_socket
    await one_answer(
        client,
        payload,
        binary,
        news=("tally", "question"),
        ack="answer_ack",
        codes=("bad_message", "unknown_question", "invalid_choice", "question_closed", "forbidden"),
    )


async def one_answer(client, payload: bytes, binary: bool, news, ack: str, codes) -> None:
    """Send a frame: past the broadcasts (``news``), its one reply is an ack, a pong or an
    error with one of ``codes``; the socket stays open."""
    client.send_raw(payload, binary=binary)
    reply = await client.next()
    while reply["type"] in news:
        reply = await client.next()
    assert reply["type"] in ("error", ack, "pong"), reply
    if reply["type"] == "error":
        assert reply["code"] in codes, reply
    assert client.close_code is None
    await sleep(0.06)  # stay under 20 frames a second: this is not the rate-limit test


chat_frames = st.one_of(
    frames,
    st.fixed_dictionaries(
        {"type": st.sampled_from(["message", "Message", "ping"])},
        optional={"text": json_values, "client_id": json_values},
    ).map(lambda value: json.dumps(value).encode()),
)


@pytest_twisted.async_yield_fixture
async def room_socket(lecture_scene):
    server, prof, _, _ = lecture_scene
    room = body_of(await prof.post("/api/rooms", {"name": "Fuzzed room"}))["room"]
    client = await open_socket(server, f"/ws/rooms/{room['id']}", prof)
    await client.next_of("hello")
    yield client
    assert client.close_code is None, "no frame may close the socket"
    client.close()


@FUZZ
@given(payload=chat_frames, binary=st.booleans())
@pytest_twisted.ensureDeferred
async def test_generated_chat_frames_get_one_answer_and_the_socket_lives(
    room_socket, payload, binary
):
    """A room socket answers any frame once (an error, an ack or a pong) and stays open."""
    await one_answer(
        room_socket,
        payload,
        binary,
        news=("presence", "message"),
        ack="message_ack",
        codes=("bad_message", "invalid_message"),
    )
