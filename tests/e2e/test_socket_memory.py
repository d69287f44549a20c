"""What a connected socket or an HTTP request leaves for the garbage collector (memory per
student: a request kept alive until a full collection cost ~3 KiB per socket in
bench/lecture_load.py)."""

import gc

import pytest_twisted
from support import User, connect, one_student

from iclicker.web.request import IclickerRequest


@pytest_twisted.ensureDeferred
async def test_an_upgrade_request_is_freed_when_its_socket_opens(server):
    scene = await one_student(server, with_question=False)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # keep what a collection finds, to look at it
    try:
        client = await connect(server, scene.lecture["join_code"], scene.student)
        await client.next_of("hello")
        gc.collect()
        requests_in_cycles = [o for o in gc.garbage if isinstance(o, IclickerRequest)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert requests_in_cycles == []


def garbage_of(request: IclickerRequest) -> int:
    """How many objects in ``gc.garbage`` the request leads to (itself included)."""
    garbage = {id(thing) for thing in gc.garbage}
    seen, todo = set(), [request]
    while todo:
        thing = todo.pop()
        if id(thing) in seen or id(thing) not in garbage:
            continue
        seen.add(id(thing))
        todo.extend(gc.get_referents(thing))
    return len(seen)


@pytest_twisted.ensureDeferred
async def test_a_finished_request_leaves_only_its_shell_to_the_collector(server):
    """Klein leaves every request it routes in a reference cycle (twisted/klein#101): the
    request's headers, cookies, arguments and routing state must not wait with it."""
    user = User(server)
    await user.register("shell")
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(3):
            assert (await user.get("/api/me?x=1")).code == 200
        gc.collect()
        requests = [o for o in gc.garbage if isinstance(o, IclickerRequest)]
        assert len(requests) == 3, "Klein's cycle is still there: this test measures its cost"
        left = [garbage_of(request) for request in requests]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert max(left) <= 10, left  # 34 when it held on to everything
