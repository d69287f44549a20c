"""What a connected socket leaves for the garbage collector (memory per student: a request
kept alive until a full collection cost ~3 KiB per socket in bench/lecture_load.py)."""

import gc

import pytest_twisted
from support import connect, one_student

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
