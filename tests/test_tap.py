"""Command-line options of ``twistd iclicker`` and the service they build."""

import ipaddress

import pytest
import pytest_twisted
from twisted.application.service import IServiceMaker
from twisted.plugin import IPlugin, getPlugins
from twisted.python.usage import UsageError

from iclicker.tap import Options, makeService


def parse(*argv: str) -> Options:
    options = Options()
    options.parseOptions(list(argv))
    return options


def test_defaults_match_the_contract():
    """With no options: tcp:8080, ./iclicker.sqlite3, cost 12, everyone allowed."""
    config = parse().config()
    assert config.port == "tcp:8080:backlog=1024"
    assert config.db_path == "iclicker.sqlite3"
    assert config.bcrypt_rounds == 12
    assert config.allow_nets == ()
    assert not config.allow_net_http and not config.trust_proxy


def test_repeatable_options_accumulate(tmp_path):
    """--allow-net and --origin may be given many times, IPv4 and IPv6."""
    config = parse(
        "--allow-net",
        "10.0.0.0/8",
        "--allow-net",
        "2001:db8::/32",
        "--origin",
        "https://Clicker.Example.edu",
        "--origin",
        "http://localhost:3000",
        "--db",
        str(tmp_path / "x.sqlite3"),
        "--bcrypt-rounds",
        "4",
        "--allow-net-http",
    ).config()
    assert config.allow_nets == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("2001:db8::/32"),
    )
    assert config.origins == ("https://clicker.example.edu", "http://localhost:3000")
    assert config.bcrypt_rounds == 4 and config.allow_net_http


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--allow-net", "10.0.0.0/33"], "--allow-net"),
        (["--allow-net", "campus"], "--allow-net"),
        (["--port", "tcp:notaport"], "--port"),
        (["--port", "bogus:1"], "--port"),
        (["--bcrypt-rounds", "3"], "between 4 and 31"),
        (["--bcrypt-rounds", "many"], "whole number"),
        (["--origin", "clicker.example.edu"], "--origin"),
        (["--origin", "https://x.edu/path"], "no path"),
        (["--db", "/no/such/dir/x.sqlite3"], "no directory"),
        (["--db", "postgresql://u@h:5432"], "expected postgresql://"),
        (["--db", "mysql://u@h/db"], "postgresql:// URL"),
        (["--redis", "redis://localhost:6379/db"], "--redis"),
        (["--redis", "localhost:6379"], "--redis"),
    ],
)
def test_bad_values_are_usage_errors(argv, words):
    """Each bad value is a clear UsageError naming the problem, not a traceback."""
    with pytest.raises(UsageError, match=words):
        parse(*argv)


def test_plugin_is_discoverable():
    """twistd finds a service maker named iclicker."""
    makers = [p for p in getPlugins(IPlugin) if IServiceMaker.providedBy(p)]
    assert "iclicker" in {maker.tapname for maker in makers}


@pytest_twisted.ensureDeferred
async def test_make_service_builds_database_and_http(tmp_path):
    """makeService migrates the database, writes the secret 0600 and adds the HTTP port."""
    db = tmp_path / "x.sqlite3"
    service = makeService(parse("--db", str(db), "--port", "tcp:0:interface=127.0.0.1"))
    service.startService()
    port = await service.getServiceNamed("http")._waitingForPort
    assert port.getHost().port > 0
    await service.stopService()
    assert db.exists()
    secret = tmp_path / "x.sqlite3.secret"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert len(secret.read_bytes().strip()) == 64


def test_backlog_is_added_only_when_missing():
    """A deep accept queue by default; an explicit backlog or a UNIX socket is left alone."""
    assert parse("--port", "tcp:9000:interface=127.0.0.1").config().port == (
        "tcp:9000:interface=127.0.0.1:backlog=1024"
    )
    assert parse("--port", "tcp:9000:backlog=10").config().port == "tcp:9000:backlog=10"
    assert parse("--port", "unix:/tmp/iclicker.sock").config().port == "unix:/tmp/iclicker.sock"
