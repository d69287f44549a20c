"""Real Redis, PostgreSQL and nginx servers for the tests, on loopback, stopped by PID."""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import psycopg
from support import free_port


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"server did not start:\n{log.read_text()}") from None
            time.sleep(0.05)


class RedisServer:
    """Debian's ``redis-server`` in a temporary directory, without persistence;
    it can be killed and started again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = workdir / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        _wait_for_port(self.port, self.process, self.log)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _postgres_bin() -> Path:
    """Debian's newest installed PostgreSQL (``/usr/lib/postgresql/<version>/bin``)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise AssertionError("PostgreSQL is not installed; ./scripts/test installs it")
    return found[-1].parent


def _as_postgres_user() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the ``postgres`` account."""

    return (
        ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
        if os.geteuid() == 0
        else []
    )


class PostgresServer:
    """Debian's PostgreSQL in a temporary directory of its own (``initdb``), on a free
    loopback port, run as an unprivileged user; it can be stopped and started again."""

    def __init__(self, workdir: Path) -> None:

        self.workdir = workdir
        self.data = workdir / "pgdata"
        self.port = free_port()
        self.log = workdir / "postgres.log"
        self.process: subprocess.Popen | None = None
        workdir.chmod(0o777)
        if os.geteuid() == 0:
            shutil.chown(workdir, "postgres", "postgres")
        subprocess.run(
            [
                *_as_postgres_user(),
                str(_postgres_bin() / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "iclicker",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
            check=True,
            capture_output=True,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://iclicker@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *_as_postgres_user(),
                str(_postgres_bin() / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.workdir),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=on",
                "-c",
                "max_connections=200",
            ],
            stdout=open(self.log, "ab"),
            stderr=subprocess.STDOUT,
        )
        _wait_for_port(self.port, self.process, self.log)
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        """The port opens before the server takes connections ("starting up")."""
        deadline = time.monotonic() + 20
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """A fast shutdown (SIGINT): connections are dropped, data stays."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)


class NginxServer:
    """Debian's nginx with the project's ``deploy/nginx.conf``, its upstream servers pointed
    at the given loopback ports, listening on a free port of its own."""

    def __init__(self, workdir: Path, config: Path, upstreams: list[int]) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        site = config.read_text()
        for name, port in zip(("iclicker-a:8080", "iclicker-b:8080"), upstreams, strict=True):
            site = site.replace(name, f"127.0.0.1:{port}")
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.port};")
        (workdir / "site.conf").write_text(site)
        temp = {
            name: workdir / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        }
        for path in temp.values():
            path.mkdir()
        (workdir / "nginx.conf").write_text(
            f"pid {workdir / 'nginx.pid'};\n"
            f"error_log {workdir / 'error.log'};\n"
            "events {}\n"
            "http {\n"
            "  log_format upstreams '$upstream_addr \"$request\"';\n"
            f"  access_log {workdir / 'access.log'} upstreams;\n"
            + "".join(f"  {name}_temp_path {path};\n" for name, path in temp.items())
            + f"  include {workdir / 'site.conf'};\n"
            "}\n"
        )

    def upstreams_of(self, path_prefix: str) -> set[str]:
        """The upstream addresses that served finished requests under ``path_prefix``."""
        lines = (self.workdir / "access.log").read_text().splitlines()
        return {line.split()[0] for line in lines if f" {path_prefix}" in line}

    def start(self) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen(
            [
                binary,
                "-p",
                str(self.workdir),
                "-c",
                str(self.workdir / "nginx.conf"),
                "-g",
                "daemon off; master_process off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        _wait_for_port(self.port, self.process, self.workdir / "error.log")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
