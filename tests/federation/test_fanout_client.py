"""The fan-out's pieces in the HTTP client and the queue: signatures made ahead in chunks, a digest given once,
the idle-connection bound, and remembered queue transitions."""

from __future__ import annotations

import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.http import HttpClient, HttpPolicy, Signer
from federation.sig.cavage import body_digest, inspect_request, sign_request
from federation.states import IllegalTransition, check_transition

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SIGNER = Signer("https://agency.example/actors/a#main-key", KEY)
BODY = b'{"type": "Create"}'


def _verifies(url: str, headers: dict[str, str]) -> bool:
    path = "/" + url.split("/", 3)[3]
    return inspect_request("POST", path, headers, BODY).verify(KEY.public_key())


def test_sign_request__uses_the_digest_it_is_given():
    """A digest computed once for many inboxes is what the request carries (and signs)."""
    digest = body_digest(BODY)
    headers = sign_request("POST", "https://b.example/inbox", body=BODY, key_id=SIGNER.key_id, private_key=KEY,
                           digest=digest)
    assert headers["Digest"] == digest
    assert _verifies("https://b.example/inbox", headers)


async def test_sign_posts__every_signature_verifies_in_order():
    """Forty POSTs signed 16 to a pool task come back in order, each for its own URL, each verifying."""
    client = HttpClient(HttpPolicy(user_agent="test"), signing_threads=2)
    try:
        urls = [f"https://h{i}.example/users/u{i}/inbox" for i in range(40)]
        futures = client.sign_posts([(u, BODY, SIGNER, body_digest(BODY)) for u in urls])
        signed = [await f for f in futures]
    finally:
        await client.close()
    assert [h["Host"] for h in signed] == [f"h{i}.example" for i in range(40)]
    assert all(_verifies(u, h) for u, h in zip(urls, signed))


async def test_sign_posts__a_post_that_cannot_be_signed_gets_none():
    """A failing signature (no usable key) resolves to None, so `post` signs it itself and raises there; the
    other posts of its chunk are signed."""
    client = HttpClient(HttpPolicy(user_agent="test"), signing_threads=1)
    try:
        broken = Signer("https://agency.example/actors/b#main-key", None)
        futures = client.sign_posts([("https://a.example/inbox", BODY, SIGNER, None),
                                     ("https://b.example/inbox", BODY, broken, None)])
        results = [await f for f in futures]
    finally:
        await client.close()
    assert results[0] is not None and results[1] is None


async def test_http_client__keeps_idle_connections_for_a_bounded_number_of_hosts(aiohttp_server):
    """With room for one idle host, a request to a second host closes its connection instead of keeping it."""
    app = web.Application()

    async def inbox(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202)

    app.router.add_post("/inbox", inbox)
    server = await aiohttp_server(app, host="127.0.0.1")
    client = HttpClient(HttpPolicy(user_agent="test", allow_private=True), signing_threads=1)
    await client.start()
    try:
        client.session.connector._max_idle_hosts = 1  # type: ignore[union-attr]
        for host in ("127.0.0.1", "localhost"):
            resp = await client.post(f"http://{host}:{server.port}/inbox", BODY, SIGNER)
            assert resp.status == 202
        assert len(client.session.connector._conns) == 1  # type: ignore[union-attr]
    finally:
        await client.close()


def test_check_transition__remembers_allowed_edges_and_still_refuses_others():
    """An allowed edge is remembered (a fan-out checks it per row); a refused one is refused every time."""
    check_transition("sending", "delivered")
    check_transition("sending", "delivered")
    for _ in range(2):
        with pytest.raises(IllegalTransition):
            check_transition("delivered", "queued")
