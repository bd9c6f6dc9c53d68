"""Rate limits ([limits]): inbox POSTs per remote host and per signing key, editor API calls per user or token,
wrong credentials per address; over a limit, 429 with Retry-After and a problem body, nothing stored; partner
agencies are exempt on the inbox."""

from __future__ import annotations

import contextlib
from typing import Any, AsyncIterator

import aiohttp

from node.accounts import sessions
from node.accounts.models import User
from federation.ratelimit import RateLimit, RateLimiter
from federation.store.models import InboxItem
from tests.integration.test_inbox_security import FlakyRemote, assert_problem, follow_of, inbox_url, \
    node_key_resolver, signed_post
from tests.node.accounts.helpers import accounts_config, add_user
from tests.nodes import TOKEN, RunningNode, running_node


@contextlib.asynccontextmanager
async def _limited(tmp_path: Any, limits: dict[str, Any], trust: dict[str, Any] | None = None,
                   **accounts: Any) -> AsyncIterator[tuple[RunningNode, FlakyRemote]]:
    config = accounts_config(tmp_path, **accounts)
    data_limits = {"inbox_host_burst": 1000, "inbox_key_burst": 1000, "api_burst": 1000, **limits}
    config = type(config)(**{**config.__dict__, "limits": {**config.limits, **data_limits},
                             "trust": {**config.trust, **(trust or {})}})
    async with running_node(tmp_path, "baku", config=config) as node:
        async with FlakyRemote(key_resolver=node_key_resolver(node)) as remote:
            for name in ("alice", "bob"):
                remote.serve_actor(remote.generated_actor(remote.url(f"/users/{name}")))
            yield node, remote


async def _stored(node: RunningNode) -> int:
    return await node.db(lambda: InboxItem.all().count())


def test_rate_limiter__burst_then_rate_and_bounded_memory():
    """A bucket lets `burst` through at once, then one per 1/rate seconds, and says how long to wait; past
    max_keys the oldest key is forgotten."""
    now = [0.0]
    limiter = RateLimiter(RateLimit(burst=3, rate=0.5), clock=lambda: now[0], max_keys=2)
    assert [limiter.take("a") for _ in range(4)] == [0, 0, 0, 2]
    now[0] = 2.0
    assert limiter.take("a") == 0 and limiter.take("a") == 2
    limiter.take("b")
    limiter.take("c")
    assert "a" not in limiter._buckets and len(limiter._buckets) == 2
    assert RateLimiter(RateLimit(burst=0, rate=1.0)).take("x") == 0  # off


async def test_inbox_limits__per_key_then_per_host_429_with_retry_after(tmp_path):
    """With 3 per key and 5 per host: alice's 4th POST and the host's 6th are refused 429 with Retry-After
    and a problem body, and nothing of them is stored."""
    async with _limited(tmp_path, {"inbox_key_burst": 3, "inbox_key_rate": 0.01, "inbox_host_burst": 5,
                                   "inbox_host_rate": 0.01}) as (node, remote):
        url = inbox_url(node, "/inbox")
        answers = [await signed_post(remote, url, follow_of(node, remote, n)) for n in range(4)]
        assert [a[0] for a in answers] == [202, 202, 202, 429]
        doc = assert_problem(answers[3], 429)
        assert int(answers[3][1]["Retry-After"]) >= 1 and "retry" in doc["detail"]
        bob = [await signed_post(remote, url, follow_of(node, remote, n, actor="bob")) for n in range(3)]
        assert [a[0] for a in bob] == [202, 202, 429]  # the host's budget (5) is spent
        assert await _stored(node) == 5


async def test_inbox_limits__partner_agencies_are_exempt(tmp_path):
    """A partner agency's host ([trust] partners) is never limited."""
    async with _limited(tmp_path, {"inbox_key_burst": 2, "inbox_key_rate": 0.01},
                        trust={"partners": ["alice@127.0.0.1"]}) as (node, remote):
        url = inbox_url(node, "/inbox")
        answers = [await signed_post(remote, url, follow_of(node, remote, n)) for n in range(5)]
        assert [a[0] for a in answers] == [202] * 5


async def test_api_limits__per_principal_and_wrong_tokens_per_address(tmp_path):
    """The API lets a user's token make `api_burst` calls, then 429 with Retry-After, while another user goes on;
    after `address_failures` wrong tokens, the address gets 429 without a lookup, and the node token still
    works."""
    async with _limited(tmp_path, {"api_burst": 3, "api_rate": 0.01}, address_failures=4) as (node, _):
        await add_user(node, "leyla", "editor")
        await add_user(node, "irina", "editor")
        tokens = {}
        for name in ("leyla", "irina"):
            user = await node.db(User.get, username=name)
            tokens[name] = (await node.db(sessions.create_token, user, "test"))[0]
        async def call(token: str) -> tuple[int, dict[str, str]]:
            async with aiohttp.ClientSession() as s:
                async with s.get(node.base_url + "/api/stories", headers={"Authorization": f"Bearer {token}"}) as r:
                    await r.read()
                    return r.status, dict(r.headers)
        statuses = [(await call(tokens["leyla"]))[0] for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert (await call(tokens["irina"]))[0] == 200
        wrong = [(await call("not-a-token"))[0] for _ in range(5)]
        assert wrong == [401, 401, 401, 401, 429]
        status, headers = await call("not-a-token")
        assert status == 429 and int(headers["Retry-After"]) >= 1
        assert (await call(TOKEN))[0] == 200
