"""Network allowlist, origin and CSRF checks shared by HTTP routes and WebSocket handshakes."""

import ipaddress

from iclicker.config import Config


class Guards:
    """Answers "may this peer / this origin do this?" from the server's configuration."""

    def __init__(self, config: Config) -> None:
        self._nets = config.allow_nets
        self._trust_proxy = config.trust_proxy
        self._origins = frozenset(config.origins)
        self.allow_net_http = config.allow_net_http

    def client_address(self, peer_host: str | None, forwarded_for: str | None) -> str | None:
        """The client's IP: the TCP peer, or the proxy's last X-Forwarded-For hop if trusted.

        Only the rightmost entry was written by our own proxy; anything to its
        left came from the client and could be forged. A unix-socket peer has
        no address (None).
        """
        if self._trust_proxy and forwarded_for:
            return forwarded_for.split(",")[-1].strip()
        return peer_host

    def network_allowed(self, address: str | None) -> bool:
        """Everyone without an allowlist; with one, only addresses inside it."""
        if not self._nets:
            return True
        if address is None:
            return False
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip.version == net.version and ip in net for net in self._nets)

    def scheme(self, is_secure: bool, forwarded_proto: str | None) -> str:
        if self._trust_proxy and forwarded_proto:
            return "https" if forwarded_proto.strip().lower() == "https" else "http"
        return "https" if is_secure else "http"

    def origin_allowed(self, origin: str, scheme: str, host: str | None) -> bool:
        """Is ``origin`` the server's own (scheme + Host header) or a configured one?"""
        origin = origin.strip().lower()
        if origin in self._origins:
            return True
        return host is not None and origin == f"{scheme}://{host.strip().lower()}"
