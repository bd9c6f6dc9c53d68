"""Passwords and tokens never reach the logs."""

from __future__ import annotations

import logging

from tests.node.accounts.helpers import accounts_node, add_user, desk

SECRET = "s3cret-Pa55word-xyzzy"


async def test_logs__passwords_are_never_logged(tmp_path, caplog):
    """Adding a user, right and wrong logins, a lock-out and a token leave no password or token in any log
    line, at DEBUG for every logger."""
    caplog.set_level(logging.DEBUG)
    async with accounts_node(tmp_path, lockout_failures=2) as baku:
        await add_user(baku, "aysel", "editor", SECRET)
        async with desk(baku) as d:
            assert (await d.login("aysel", SECRET))[0] == 201
            _, made, _ = await d.call("POST", "/api/tokens", {})
            assert (await d.login("aysel", SECRET + "-wrong"))[0] == 401
            assert (await d.login("nobody", SECRET + "-other"))[0] == 401
            assert (await d.login("aysel", SECRET + "-wrong"))[0] == 401
            assert (await d.login("aysel", SECRET))[0] == 423
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert "accounts.login" in text  # the logins were logged...
    assert "s3cret" not in text and made["token"] not in text  # ...without the secrets
