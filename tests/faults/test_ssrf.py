"""SSRF at connect time: with private addresses refused, no kind of fetch the node makes reaches one.

The instruments are in `tests.faults.loopback`; the same guard on a running node is in `test_ssrf_node.py`.
Real listeners on loopback (127.0.0.1, 127.0.0.2, ::1) count every connection they accept; each form of a
private address (literal, decimal, octal, IPv4-mapped IPv6, 0.0.0.0, localhost), a redirect from a public-looking
host, and a DNS answer that turns private between two queries must leave them untouched. Private addresses off
this machine (10/8, 169.254/16, fc00::/7...) are caught by a tripwire on the event loop's `sock_connect` that
records every connect and refuses any that is not loopback, so a broken guard could never send traffic out.
"""

from __future__ import annotations

import contextlib
import ipaddress
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.errors import SignatureError
from federation.fetch import Fetcher
from federation.http import HttpClient, HttpPolicy, Signer
from federation.webfinger import resolve_handle
from node.media.fetching import FetchLimits, FetchProblem, digest_of, fetch_into_store
from node.media.storage import LocalStore
from node.media.wire_states import Verdict
from node.translation.apertium import ApertiumEngine
from node.translation.libretranslate import LibreTranslateEngine
from node.translation.mt import EngineUnavailable
from tests.faults.loopback import FixedResolver, Listeners, listeners, tripwire  # noqa: F401 (fixtures)

LIMITS = FetchLimits(sizes={"image": 1 << 20, "video": 1 << 20, "audio": 1 << 20, "document": 1 << 20}, timeout=5)
SAFE = "127.0.0.3"  # stands for a public address: the only network the policy allows in these tests
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)

# Host forms of a private address on this machine, and the listener each one would reach.
LOCAL_FORMS = {
    "127.0.0.2": "127.0.0.2",
    "2130706434": "127.0.0.2",          # decimal 127.0.0.2
    "0177.0.0.2": "127.0.0.2",          # octal
    "0x7f.0.0.2": "127.0.0.2",          # hexadecimal
    "[::ffff:127.0.0.2]": "127.0.0.2",  # IPv4-mapped IPv6
    "[::1]": "::1",
    "0.0.0.0": "127.0.0.1",
    "localhost": "127.0.0.1",
}
# Private addresses off this machine: never connected to (the tripwire refuses them if the guard fails).
REMOTE_FORMS = ["10.0.0.1", "172.16.0.1", "172.31.255.254", "192.168.1.1", "169.254.169.254", "2852039166",
                "[fc00::1]", "[fd12:3456::1]", "[fe80::1]", "[::ffff:10.0.0.1]", "[::ffff:169.254.169.254]", "100.64.0.1",
                # IPv6 forms that carry a private IPv4 address: 6to4, NAT64, IPv4-compatible.
                "[2002:7f00:2::1]", "[2002:a00:1::1]", "[64:ff9b::7f00:2]", "[64:ff9b::a9fe:a9fe]",
                "[64:ff9b:1::a00:1]", "[::127.0.0.2]", "[::a00:1]"]


@contextlib.asynccontextmanager
async def client(resolver: AbstractResolver | None = None) -> AsyncIterator[HttpClient]:
    http = HttpClient(HttpPolicy(user_agent="ssrf-test", timeout=5, allowed_networks=(f"{SAFE}/32",)),
                      signing_threads=1, resolver=resolver)
    await http.start()
    try:
        yield http
    finally:
        await http.close()


def _signer() -> Signer:
    return Signer("https://news.example/actor#main-key", KEY)


# Each kind of fetch the node makes, given a started client and a base URL; each returns the error it met, which
# must be the kind's refusal: PrivateAddressError or the caller's verdict built from it.
async def _error(call: Awaitable[Any]) -> Exception:
    try:
        await call
    except Exception as exc:  # noqa: BLE001 - the test inspects whatever came out
        return exc
    raise AssertionError("the fetch succeeded")


async def _actor(http: HttpClient, base: str, tmp: Path) -> Exception:
    return await _error(Fetcher(http, _signer()).actor(base + "/users/x", refresh=True))


async def _key(http: HttpClient, base: str, tmp: Path) -> Exception:
    error = await _error(Fetcher(http, _signer()).key(base + "/users/x#main-key", refresh=True))
    assert isinstance(error, SignatureError), error  # a permanent 401 for the peer, not a 503 to retry
    return error


async def _webfinger(http: HttpClient, base: str, tmp: Path) -> Exception:
    return await _error(resolve_handle(http, f"x@{base.split('://', 1)[1]}"))


async def _delivery(http: HttpClient, base: str, tmp: Path) -> Exception:
    return await _error(http.post(base + "/inbox", b"{}", _signer()))


async def _media(http: HttpClient, base: str, tmp: Path) -> Exception:
    error = await _error(fetch_into_store(http.session, LocalStore(tmp), base + "/a.png",
                                          announced_type="image/png", announced="image", limits=LIMITS))
    assert isinstance(error, FetchProblem) and error.verdict is Verdict.REFUSED, error
    assert not any(p.is_file() for p in tmp.rglob("*")), "nothing stored"
    return error


async def _media_digest(http: HttpClient, base: str, tmp: Path) -> Exception:
    error = await _error(digest_of(http.session, base + "/a.png", limits=LIMITS, announced="image"))
    assert isinstance(error, FetchProblem) and error.verdict is Verdict.REFUSED, error
    return error


async def _libretranslate(http: HttpClient, base: str, tmp: Path) -> Exception:
    error = await _error(LibreTranslateEngine(base, http, api_key="k").translate(["Hello"], "en", "es",
                                                                                   html=False))
    assert isinstance(error, EngineUnavailable), error
    return error


async def _apertium(http: HttpClient, base: str, tmp: Path) -> Exception:
    error = await _error(ApertiumEngine(base, http).languages())
    assert isinstance(error, EngineUnavailable), error
    return error


def assert_refused(error: Exception, host: str) -> None:
    """The error names the refusal: a private address, or (for decimal, octal and hex hosts, which yarl refuses
    before any lookup, or a handle with a host WebFinger does not take) a URL that is not fetchable."""
    text = str(error)
    assert ("non-public" in text or "private" in text or "canonical" in text or "not a fetchable URL" in text
            or "invalid URL" in text or "bad host" in text), (host, type(error), text)
    if (_is_literal(host.strip("[]")) or host == "localhost") and "bad host" not in text:
        assert "non-public" in text or "private" in text, (host, text)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


KINDS = {"actor": _actor, "key": _key, "webfinger": _webfinger, "delivery": _delivery, "media": _media,
         "media_digest": _media_digest, "libretranslate": _libretranslate, "apertium": _apertium}


@pytest.mark.parametrize("kind", KINDS)
async def test_guard__no_fetch_reaches_a_private_address_in_any_form(kind: str, listeners: Listeners,
                                                                     tripwire: list[str], tmp_path: Path) -> None:
    """Every kind of fetch, to every form of a private address, fails with a clear error and connects nowhere."""
    async with client() as http:
        for n, host in enumerate([*LOCAL_FORMS, *REMOTE_FORMS]):
            port = listeners.port if host in LOCAL_FORMS else 9
            assert_refused(await KINDS[kind](http, f"http://{host}:{port}", tmp_path / str(n)), host)
    assert listeners.accepted == {}
    assert tripwire == []


async def test_guard__the_listeners_and_tripwire_do_see_an_allowed_fetch(listeners: Listeners,
                                                                         tripwire: list[str]) -> None:
    """The same fetch with private addresses allowed reaches the listener (the test's eyes are open)."""
    http = HttpClient(HttpPolicy(user_agent="ssrf-test", allow_private=True), signing_threads=1)
    await http.start()
    try:
        for host in ("127.0.0.2", "[::1]"):
            assert await http.get_json(f"http://{host}:{listeners.port}/x", None) == {}
    finally:
        await http.close()
    assert listeners.accepted == {"127.0.0.2": 1, "::1": 1}
    assert tripwire == ["127.0.0.2", "::1"]


@pytest.fixture
async def redirector(listeners: Listeners) -> AsyncIterator[str]:
    """An allowed, public-looking server (news.example on 127.0.0.3) that redirects `/to/<host>` there."""
    async def bounce(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://{request.match_info['host']}:{listeners.port}/target")

    async def first(request: web.Request) -> web.Response:
        resp = web.Response(status=404)
        resp.force_close()  # so the next request must connect (and resolve) again
        return resp

    app = web.Application()
    app.router.add_get("/to/{host}/{rest:.*}", bounce)
    app.router.add_get("/first", first)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, SAFE, listeners.port)
    await site.start()
    try:
        yield f"http://news.example:{listeners.port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("kind", ["actor", "key", "media", "media_digest"])
async def test_guard__a_redirect_into_a_private_address_is_refused(kind: str, listeners: Listeners,
                                                                   redirector: str, tripwire: list[str],
                                                                   tmp_path: Path) -> None:
    """A public-looking host that redirects to loopback (each form) or off-machine private space reaches nothing."""
    async with client(FixedResolver({"news.example": [SAFE]})) as http:
        for n, host in enumerate([*LOCAL_FORMS, "10.0.0.1", "[fd00::1]", "169.254.169.254"]):
            assert_refused(await KINDS[kind](http, f"{redirector}/to/{host}", tmp_path / str(n)), host)
    assert listeners.accepted == {}
    assert set(tripwire) == {SAFE}, "only the redirector was connected to"


@pytest.mark.parametrize("kind", ["actor", "delivery", "media", "libretranslate"])
async def test_guard__a_dns_answer_that_turns_private_is_refused(kind: str, listeners: Listeners,
                                                                 redirector: str, tripwire: list[str],
                                                                 tmp_path: Path) -> None:
    """DNS rebinding: a name that answered a public address, then 127.0.0.2, is refused on the second answer."""
    resolver = FixedResolver({"rebind.example": [SAFE, "127.0.0.2"]})
    async with client(resolver) as http:
        base = f"http://rebind.example:{listeners.port}"
        async with http.session.get(base + "/first") as resp:  # the check: the name is public (a 404 there)
            assert resp.status == 404
        http.session.connector.clear_dns_cache()  # type: ignore[union-attr]  # the answer's TTL ran out
        error = await KINDS[kind](http, base, tmp_path / "second")
    assert "rebind.example resolves only to non-public addresses" in str(error)
    assert resolver.queries == ["rebind.example", "rebind.example"]
    assert listeners.accepted == {}
    assert tripwire == [SAFE]


@pytest.mark.parametrize("address", ["127.0.0.1", "127.255.255.254", "::1", "0.0.0.0", "::", "169.254.169.254",
                                     "10.1.2.3", "172.16.0.1", "172.31.0.1", "192.168.0.1", "fc00::1", "fdff::1",
                                     "fe80::1%eth0", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::1",
                                     "2002:c0a8:1::1", "64:ff9b::7f00:1", "64:ff9b:1::a9fe:a9fe", "::127.0.0.1",
                                     "100.64.0.1", "224.0.0.1", "ff02::1", "255.255.255.255"])
def test_policy__refuses_every_private_form(address: str) -> None:
    """The connect-time test refuses loopback, private, link-local and the IPv6 forms that carry them."""
    assert not HttpPolicy(user_agent="t").permits(address)
    assert HttpPolicy(user_agent="t", allow_private=True).permits(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::1111", "::ffff:93.184.215.14",
                                     "2002:5db8:d70e::1", "64:ff9b::5db8:d70e"])
def test_policy__permits_public_addresses(address: str) -> None:
    """Public addresses, also carried in IPv6 forms, stay reachable."""
    assert HttpPolicy(user_agent="t").permits(address)


def test_policy__the_allowlist_opens_only_its_networks() -> None:
    """allowed_networks lets one private network through and nothing next to it."""
    policy = HttpPolicy(user_agent="t", allowed_networks=("127.0.0.3/32", "fd00:1::/64"))
    assert policy.permits("127.0.0.3") and policy.permits("fd00:1::5")
    assert not policy.permits("127.0.0.2") and not policy.permits("fd00:2::5") and not policy.permits("::1")


async def test_guard__an_answer_mixing_private_and_public_connects_only_to_the_public(listeners: Listeners,
                                                                                     redirector: str,
                                                                                     tripwire: list[str]) -> None:
    """A DNS answer listing a private address first and a public one after: only the public one is tried."""
    resolver = FixedResolver({"mixed.example": [f"127.0.0.2,::1,{SAFE}"]})
    async with client(resolver) as http:
        async with http.session.get(f"http://mixed.example:{listeners.port}/first") as resp:
            assert resp.status == 404  # the allowed server answered
    assert listeners.accepted == {}
    assert tripwire == [SAFE]
