"""Network allowlist, proxy headers and origin matching."""

import ipaddress

from iclicker.config import Config
from iclicker.web.guards import Guards


def guards(**settings) -> Guards:
    return Guards(Config(**settings))


def test_everyone_is_allowed_without_an_allowlist():
    """No --allow-net means every address may connect."""
    assert guards().network_allowed("203.0.113.9")


def test_allowlist_matches_ipv4_ipv6_and_mapped_addresses():
    """CIDRs of both families apply; IPv4-mapped IPv6 peers count as IPv4."""
    g = guards(
        allow_nets=(ipaddress.ip_network("10.1.0.0/16"), ipaddress.ip_network("2001:db8::/32"))
    )
    assert g.network_allowed("10.1.2.3")
    assert g.network_allowed("::ffff:10.1.2.3")
    assert g.network_allowed("2001:db8::1")
    assert not g.network_allowed("10.2.0.1")
    assert not g.network_allowed("2001:db9::1")
    assert not g.network_allowed("not an address")


def test_forwarded_for_is_used_only_behind_a_trusted_proxy():
    """Without --trust-proxy the header is ignored; with it, the proxy's own (last) hop counts."""
    assert guards().client_address("127.0.0.1", "10.0.0.1") == "127.0.0.1"
    trusted = guards(trust_proxy=True)
    assert trusted.client_address("127.0.0.1", "6.6.6.6, 10.0.0.1") == "10.0.0.1"
    assert trusted.client_address("127.0.0.1", None) == "127.0.0.1"
    assert trusted.scheme(False, "https") == "https"
    assert guards().scheme(False, "https") == "http"


def test_origin_must_be_own_host_or_configured():
    """Same scheme and Host, or an --origin; localhost and 127.0.0.1 differ."""
    g = guards(origins=("https://clicker.example.edu",))
    assert g.origin_allowed("http://localhost:8080", "http", "localhost:8080")
    assert not g.origin_allowed("http://127.0.0.1:8080", "http", "localhost:8080")
    assert not g.origin_allowed("https://localhost:8080", "http", "localhost:8080")
    assert g.origin_allowed("https://Clicker.Example.edu", "http", "localhost:8080")
    assert not g.origin_allowed("http://evil.example", "http", None)
