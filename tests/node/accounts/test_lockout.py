"""Wrong passwords: the per-account lock-out, the per-address limit, and what a refusal reveals."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from node.accounts import users
from node.accounts.models import LoginSession, User
from node.accounts.passwords import Hasher
from node.accounts.ratelimit import AddressLimiter
from tests.node.accounts.helpers import PASSWORD, accounts_node, add_user, desk


async def test_lockout__ten_wrong_passwords_lock_the_account(tmp_path):
    """After 10 wrong passwords the right one is refused 423 with a message saying until when; another account
    is not affected; once the lock has passed the right password works again."""
    async with accounts_node(tmp_path) as baku:
        await add_user(baku, "aysel", "editor")
        await add_user(baku, "murad", "editor")
        async with desk(baku) as d:
            for _ in range(9):
                status, problem, _ = await d.login("aysel", "wrong password 1")
                assert status == 401 and problem["detail"] == "wrong username or password"
            status, _, _ = await d.login("aysel", "wrong password 1")  # the tenth
            assert status == 401
            status, problem, _ = await d.login("aysel", PASSWORD)
            assert status == 423, problem
            assert problem["title"] == "Account locked" and "locked" in problem["detail"]
            until = datetime.fromisoformat(problem["locked_until"].replace("Z", "+00:00"))
            assert timedelta(minutes=14) < until - datetime.now(timezone.utc) <= timedelta(minutes=15)
            assert problem["locked_until"][:16] in problem["detail"]
            assert await baku.db(LoginSession.all().count) == 0
            status, _, _ = await d.login("murad", PASSWORD)
            assert status == 201
            # The lock ends (moved into the past here rather than waiting 15 minutes).
            await baku.db(User.filter(username="aysel").update, locked_until=datetime.now(timezone.utc))
            status, _, _ = await d.login("aysel", PASSWORD)
            assert status == 201


async def test_lockout__unknown_user_reads_like_a_wrong_password(tmp_path):
    """An unknown username gets exactly the answer of a wrong password: nothing says whether it exists."""
    async with accounts_node(tmp_path) as baku:
        await add_user(baku, "aysel", "editor")
        async with desk(baku) as d:
            s1, wrong, _ = await d.login("aysel", "not the password")
            s2, unknown, _ = await d.login("nobody", "not the password")
        assert s1 == s2 == 401 and wrong == unknown


async def test_lockout__right_password_resets_the_count(tmp_path):
    """Wrong passwords must be in a row: a right one in between starts the count again."""
    async with accounts_node(tmp_path, lockout_failures=3) as baku:
        await add_user(baku, "aysel", "editor")
        async with desk(baku) as d:
            for _ in range(2):
                assert (await d.login("aysel", "wrong wrong"))[0] == 401
            assert (await d.login("aysel"))[0] == 201
            for _ in range(2):
                assert (await d.login("aysel", "wrong wrong"))[0] == 401
            assert (await d.login("aysel"))[0] == 201


async def test_lockout__too_many_failures_from_one_address_is_429(tmp_path):
    """Past the per-address limit, even a right password is answered 429 with Retry-After and no session."""
    async with accounts_node(tmp_path, address_failures=3, address_window_seconds=300) as baku:
        await add_user(baku, "aysel", "editor")
        async with desk(baku) as d:
            for name in ("aysel", "murad", "nobody"):  # spread over accounts: the address is what counts
                assert (await d.login(name, "guess guess"))[0] == 401
            status, problem, headers = await d.login("aysel", PASSWORD)
            assert status == 429, problem
            assert 1 <= int(headers["Retry-After"]) <= 300 and problem["retry_after"] == int(headers["Retry-After"])
        assert await baku.db(LoginSession.all().count) == 0


def test_limiter__window_slides():
    """The limiter lets an address try again once its oldest failures leave the window."""
    now = [1000.0]
    limiter = AddressLimiter(2, 60, clock=lambda: now[0])
    limiter.failed("a")
    now[0] += 10
    limiter.failed("a")
    assert limiter.retry_after("a") == 50 and limiter.retry_after("b") == 0
    now[0] += 50
    assert limiter.retry_after("a") == 0


async def test_passwords__hash_is_redone_when_parameters_change(tmp_path):
    """A hash made with other argon2 parameters is replaced at the next login, with the node's parameters."""
    async with accounts_node(tmp_path) as baku:
        await baku.db(users.add_user, Hasher(time_cost=2, memory_kib=16384), "aysel", PASSWORD, "editor")
        before = (await baku.db(User.get, username="aysel")).password_hash
        assert "m=16384,t=2" in before
        async with desk(baku, "aysel"):
            pass
        after = (await baku.db(User.get, username="aysel")).password_hash
        assert after != before and "m=8192,t=1" in after and after.startswith("$argon2id$")


async def test_passwords__hashing_leaves_the_event_loop_free():
    """A full-cost hash (the defaults) runs off the event loop: other coroutines keep running meanwhile."""
    import asyncio
    import time

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    stored = await Hasher().hash(PASSWORD)
    elapsed = time.perf_counter() - started
    task.cancel()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=1$")
    assert elapsed > 0.05 and ticks >= elapsed / 0.005 / 4, (elapsed, ticks)
    assert await Hasher().verify(stored, PASSWORD) == (True, False)
    assert await Hasher().verify(stored, "not it at all") == (False, False)
