"""Every index the models declare exists in a database made by `agency-node migrate`, on SQLite and PostgreSQL.

Tortoise's AddField does not create the index of a field added with ``db_index=True``: two of Story's declared
indexes were missing from every database until migration 0020. The models are where the code says which lookups
are indexed; this holds the migrations to them."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise

from tests.nodes import node_on

_PG_INDEXES = """
SELECT t.relname AS tbl, array_agg(a.attname ORDER BY k.n) AS cols
FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace ns ON ns.oid = t.relnamespace
JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) ON true
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE ns.nspname = current_schema() GROUP BY t.relname, x.indexrelid"""


async def _indexes(conn: Any) -> dict[str, list[list[str]]]:
    """Each table's indexes (primary keys and unique constraints included) as their column lists."""
    found: dict[str, list[list[str]]] = {}
    if conn.capabilities.dialect == "postgres":
        for row in (await conn.execute_query(_PG_INDEXES))[1]:
            found.setdefault(row["tbl"], []).append(list(row["cols"]))
        return found
    for row in (await conn.execute_query("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"))[1]:
        _, info = await conn.execute_query(f"PRAGMA index_info(\"{row['name']}\")")
        found.setdefault(row["tbl_name"], []).append([c["name"] for c in sorted(info, key=lambda c: c["seqno"])])
    return found


def _declared(model: Any) -> list[tuple[tuple[str, ...], bool]]:
    """The column lists `model` says are indexed, each with whether its order matters: fields with ``db_index``
    and ``Meta.indexes`` (an index on their leading columns serves), ``unique_together`` (any order)."""
    meta = model._meta
    column = {name: meta.fields_db_projection.get(name, f"{name}_id") for name in meta.fields_map}
    out = [((column[name],), True) for name, field in meta.fields_map.items()
           if getattr(field, "index", False) and not (field.pk or field.unique) and name in meta.fields_db_projection]
    out += [(tuple(column[f] for f in index.fields), True) for index in (meta.indexes or ())
            if getattr(index, "fields", None)]
    out += [(tuple(column.get(f, f"{f}_id") for f in together), False) for together in (meta.unique_together or ())]
    return out


async def test_migrated_schema__has_every_index_the_models_declare(tmp_path, database_url):
    """A fresh database migrated to the newest schema holds an index for each lookup a model declares indexed."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        async def scenario():
            models = [m for app in Tortoise.apps.values() for m in app.values()]
            return models, await _indexes(models[0]._meta.db)
        models, indexes = await baku.db(scenario)
    missing = []
    for model in models:
        have = indexes.get(model._meta.db_table, [])
        for columns, ordered in _declared(model):
            if not any(cols[:len(columns)] == list(columns) if ordered else sorted(cols) == sorted(columns)
                       for cols in have):
                missing.append(f"{model._meta.db_table}({', '.join(columns)})")
    assert not missing, f"declared by the models, not in the migrated database: {missing}"
