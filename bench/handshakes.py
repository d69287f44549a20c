"""Handshake cost: N students connecting at once to iclicker's lecture socket vs a bare
Autobahn server that only answers each connection with a hello frame.

    .venv/bin/python bench/handshakes.py --students 5000

Both servers run on core 0 (the load generator on core 1) and are fed by the same minimal
clients (lecture_load.Student). iclicker's figure includes what a real handshake does: the
session lookup, the roster gate, joining groups, the presence count and a hello built from
the lecture's replica.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from lecture_load import Bench, Student, add_common_arguments, run_scenario
from twisted.internet import reactor, task
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol

BARE_SERVER = """
import sys
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from twisted.internet import reactor
import txaio
txaio.set_global_log_level("info")

class Hello(WebSocketServerProtocol):
    def onOpen(self):
        self.sendMessage(b'{"type":"hello"}')

factory = WebSocketServerFactory()
factory.protocol = Hello
factory.setProtocolOptions(perMessageCompressionAccept=lambda offers: None)
reactor.listenTCP(int(sys.argv[1]), factory, backlog=1024, interface="127.0.0.1")
reactor.run()
"""


async def connect_all(bench: Bench, host: str, port: int, path: str, cookies: list[str]) -> float:
    started = time.perf_counter()

    async def join(cookie: str) -> None:
        student = Student(bench, path, cookie, f"{host}:{port}")
        await connectProtocol(TCP4ClientEndpoint(reactor, host, port), student)
        await student.hello
        student.transport.loseConnection()

    await bench.limited([join(cookie) for cookie in cookies], bench.args.connect_concurrency)
    return time.perf_counter() - started


async def scenario(args) -> dict:
    bench = Bench(args)
    n = args.students
    bench.prof = await bench.instructor()
    response = await bench.prof.post(bench.url + "/api/lectures", json={"title": "Handshakes"})
    lecture = (await response.json())["lecture"]
    cookies = await bench.limited([bench.account(f"hs-{i:05d}") for i in range(n)], 32)
    host, port = bench.host.rsplit(":", 1)
    path = f"/ws/lectures/{lecture['join_code']}"
    iclicker = []
    bare = []
    workdir = tempfile.mkdtemp(prefix="iclicker-bare-")
    script = os.path.join(workdir, "bare.py")
    with open(script, "w") as file:
        file.write(BARE_SERVER)
    bare_port = int(port) + 100
    command = [sys.executable, script, str(bare_port)]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    server = subprocess.Popen(command)
    try:
        await task.deferLater(reactor, 1.5)
        for _ in range(args.rounds):
            iclicker.append(await connect_all(bench, host, int(port), path, cookies))
            await task.deferLater(reactor, 2.0)
            bare.append(await connect_all(bench, host, bare_port, path, cookies))
            await task.deferLater(reactor, 2.0)
    finally:
        server.terminate()
        server.wait()
    await bench.pool.closeCachedConnections()
    return {
        "students": n,
        "iclicker_connect_all_seconds": [round(v, 2) for v in iclicker],
        "bare_autobahn_connect_all_seconds": [round(v, 2) for v in bare],
        "ratio_of_medians": round(statistics.median(iclicker) / statistics.median(bare), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, students=5000)
    parser.set_defaults(spawn=True, rounds=3)
    run_scenario(parser.parse_args(), scenario)


if __name__ == "__main__":
    main()
