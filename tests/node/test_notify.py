"""node/notify.py without a server: the listener's connection options come from the node's database URL."""

from __future__ import annotations

from node.notify import connect_args


def test_connect_args__keeps_the_connection_drops_the_pool_options():
    """Credentials, port and ssl carry over; tortoise's pool options do not (asyncpg would refuse them)."""
    args = connect_args("postgresql://agency:p%40ss@db.internal:5433/news?minsize=2&maxsize=20&ssl=require"
                        "&schema=agency")
    assert {k: args[k] for k in ("host", "port", "user", "password", "database")} == {
        "host": "db.internal", "port": 5433, "user": "agency", "password": "p@ss", "database": "news"}
    assert args["ssl"] is True
    assert not {"minsize", "maxsize", "schema"} & set(args)
    assert args["server_settings"] == {"search_path": "agency", "application_name": "agency-node listener"}
