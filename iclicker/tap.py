"""``twistd iclicker``: command-line options and the service they build."""

import gc
import ipaddress
import os
import resource
from urllib.parse import urlsplit

from twisted.application.service import IService
from twisted.internet.endpoints import serverFromString
from twisted.internet.testing import MemoryReactor
from twisted.python import usage

from iclicker.config import (
    DEFAULT_BCRYPT_ROUNDS,
    DEFAULT_DB,
    DEFAULT_PORT,
    DEFAULT_SEND_BUFFER,
    Config,
)
from iclicker.groups.redis import RedisAddress
from iclicker.store.db import is_postgres


def parse_origin(value: str) -> str:
    """Normalise an origin to ``scheme://host[:port]``; raise UsageError if it is not one."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise usage.UsageError(f"--origin {value!r}: expected http(s)://HOST[:PORT]")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise usage.UsageError(f"--origin {value!r}: an origin has no path or query")
    try:
        valid_port = parts.port is None or parts.port > 0
    except ValueError:
        valid_port = False
    if not valid_port:
        raise usage.UsageError(f"--origin {value!r}: bad port")
    return f"{parts.scheme}://{parts.netloc.lower()}"


LISTEN_BACKLOG = 1024


def with_backlog(description: str) -> str:
    """Give a TCP endpoint a deep accept queue unless the description sets one.

    Twisted's default of 50 makes a lecture hall reconnecting at once (after
    a restart or a Wi-Fi blip) wait out SYN retransmissions.
    """
    kind = description.split(":", 1)[0]
    if kind in ("tcp", "tcp6", "ssl") and "backlog=" not in description:
        return f"{description}:backlog={LISTEN_BACKLOG}"
    return description


def tune_process() -> None:
    """Process-wide settings for a server that holds thousands of long-lived sockets.

    Every student is a file descriptor, so the soft limit is raised to the
    hard one (Synapse does the same). Every socket is also a set of long-lived
    objects, and every HTTP request leaves cyclic garbage (Klein's and the
    thread pool's closures). Start-up objects are frozen; the youngest
    generation is collected every 20,000 objects: at 100,000 one collection
    paused the reactor for 200-270 ms after a connection storm (acks of a busy
    chat room waited behind it), at 20,000 pauses stay near 50 ms.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    gc.set_threshold(20_000, 50, 100)
    gc.freeze()


def check_database(location: str) -> None:
    """A SQLite path in an existing directory, or a PostgreSQL URL with a host and a name."""
    if is_postgres(location):
        parts = urlsplit(location)
        if not parts.hostname or not parts.path.strip("/"):
            raise usage.UsageError(
                f"--db {location!r}: expected postgresql://USER[:PASSWORD]@HOST:PORT/NAME"
            )
        return
    if "://" in location:
        raise usage.UsageError(f"--db {location!r}: a SQLite path or a postgresql:// URL")
    directory = os.path.dirname(os.path.abspath(location))
    if not os.path.isdir(directory):
        raise usage.UsageError(f"--db {location!r}: no directory {directory}")
    if os.path.isdir(location):
        raise usage.UsageError(f"--db {location!r} is a directory")


def _positive_int(name: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise usage.UsageError(f"--{name} must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise usage.UsageError(f"--{name} must be between {low} and {high}")
    return number


class Options(usage.Options):
    synopsis = "[options]"
    longdesc = (
        "Run the iclicker classroom response server: the web site, its JSON API "
        "and its WebSockets on one port, over a SQLite database or PostgreSQL; "
        "with --redis, several processes act as one server."
    )
    optParameters = [
        ["port", "p", DEFAULT_PORT, "Endpoint description to listen on (e.g. tcp:8080)."],
        [
            "db",
            "d",
            DEFAULT_DB,
            "Path of the SQLite database file, or postgresql://USER[:PASSWORD]@HOST:PORT/NAME.",
        ],
        ["bcrypt-rounds", None, str(DEFAULT_BCRYPT_ROUNDS), "bcrypt cost factor (4-31)."],
        [
            "max-send-buffer",
            None,
            str(DEFAULT_SEND_BUFFER),
            "Bytes a WebSocket client may leave unread before it is dropped.",
        ],
        ["redis", None, None, "redis://HOST:PORT[/DB] to share groups between processes."],
        [
            "photos",
            None,
            None,
            "Directory of profile photos (default: beside a SQLite database, or"
            " ./iclicker-photos with PostgreSQL; share it between machines).",
        ],
    ]
    optFlags = [
        ["allow-net-http", None, "Apply --allow-net to every HTTP route but /healthz."],
        ["trust-proxy", None, "Trust X-Forwarded-For/-Proto from a reverse proxy."],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["allow-net"] = []
        self["origin"] = []

    def opt_allow_net(self, cidr: str) -> None:
        """Allow clients from this network (CIDR, IPv4 or IPv6; repeatable)."""
        try:
            self["allow-net"].append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise usage.UsageError(f"--allow-net {cidr!r} is not a CIDR network") from None

    def opt_origin(self, origin: str) -> None:
        """Trust this extra origin for WebSocket and CSRF checks (repeatable)."""
        self["origin"].append(parse_origin(origin))

    def postOptions(self) -> None:
        try:
            serverFromString(MemoryReactor(), self["port"])
        except (ValueError, KeyError, TypeError) as error:
            raise usage.UsageError(f"--port {self['port']!r}: {error}") from None
        self["port"] = with_backlog(self["port"])
        if self["redis"] is not None:
            try:
                RedisAddress.parse(self["redis"])
            except ValueError as error:
                raise usage.UsageError(f"--redis {self['redis']!r}: {error}") from None
        check_database(self["db"])
        if self["photos"] is None:
            postgres = is_postgres(self["db"])
            self["photos"] = "iclicker-photos" if postgres else self["db"] + ".photos"
        self["bcrypt-rounds"] = _positive_int("bcrypt-rounds", self["bcrypt-rounds"], 4, 31)
        self["max-send-buffer"] = _positive_int(
            "max-send-buffer", self["max-send-buffer"], 4096, 1 << 30
        )

    def config(self) -> Config:
        return Config(
            port=self["port"],
            db_path=self["db"],
            allow_nets=tuple(self["allow-net"]),
            allow_net_http=bool(self["allow-net-http"]),
            origins=tuple(self["origin"]),
            bcrypt_rounds=self["bcrypt-rounds"],
            trust_proxy=bool(self["trust-proxy"]),
            max_send_buffer=self["max-send-buffer"],
            redis_url=self["redis"],
            photos_dir=self["photos"],
        )


def makeService(options: Options) -> IService:
    from twisted.internet import reactor

    from iclicker.service import build_service

    service = build_service(options.config(), reactor)
    tune_process()
    return service
