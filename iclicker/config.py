"""The server's settings, frozen: the only configuration object iclicker passes around."""

import ipaddress

import attrs

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORT = "tcp:8080"
DEFAULT_DB = "iclicker.sqlite3"
DEFAULT_BCRYPT_ROUNDS = 12
DEFAULT_SEND_BUFFER = 1024 * 1024


@attrs.frozen
class Config:
    port: str = DEFAULT_PORT
    db_path: str = DEFAULT_DB
    allow_nets: tuple[IPNetwork, ...] = ()
    """Networks allowed to connect; empty means everyone."""
    allow_net_http: bool = False
    """Apply ``allow_nets`` to HTTP routes too, not just WebSocket handshakes."""
    origins: tuple[str, ...] = ()
    """Origins trusted in addition to the request's own (scheme://host[:port])."""
    bcrypt_rounds: int = DEFAULT_BCRYPT_ROUNDS
    trust_proxy: bool = False
    """Believe X-Forwarded-For / X-Forwarded-Proto from a reverse proxy in front."""
    max_send_buffer: int = DEFAULT_SEND_BUFFER
    """Bytes a WebSocket client may leave unread before it is dropped."""
    photos_dir: str = DEFAULT_DB + ".photos"
    """Where profile photos are kept (shared by every process: a shared volume on several
    machines)."""
    redis_url: str | None = None
    """``redis://…`` shared by the processes that act as one server; None: in-process groups."""
