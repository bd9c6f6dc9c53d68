"""Many rows of one model inserted with one plain parameterised statement (`execute_many`), for hot paths.

Building tortoise model objects to insert them costs more than the insert itself (the inbox worker stores a
wire story's five rows per activity this way). `BulkInsert` writes the same values tortoise would: the fields'
defaults, ``auto_now``/``auto_now_add`` times, JSON encoded by the field's own encoder, aware datetimes. A text
value longer than its column raises `TooLong` before anything is written, so the caller can hand that row to the
model path, which refuses it with tortoise's own error. Both dialects: ``$n`` marks on PostgreSQL, ``?`` on SQLite.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from tortoise import fields

__all__ = ["BulkInsert", "TooLong", "marks"]


class TooLong(ValueError):
    """A value does not fit its column."""


def marks(dialect: str, count: int, start: int = 1) -> str:
    """`count` parameter marks for `dialect`, comma-separated."""
    if dialect == "postgres":
        return ", ".join(f"${i}" for i in range(start, start + count))
    return ", ".join("?" * count)


_PLAIN, _CHAR, _JSON, _TIME = range(4)


class BulkInsert:
    """An INSERT of every column of `model` but its generated primary key."""

    def __init__(self, model: Any, *, suffix: str = "") -> None:
        self.model = model
        self.suffix = suffix  # e.g. an ON CONFLICT clause
        self._built = False
        self._sql: dict[str, str] = {}

    def _build(self) -> None:
        # On first use, not at import: tortoise completes a model's fields (its foreign keys' columns) at init.
        meta = self.model._meta
        self.table = meta.db_table
        self._plan: list[tuple[str, int, Any]] = []
        self.columns: list[str] = []
        for name, column in meta.fields_db_projection.items():
            if name == meta.pk_attr:
                continue
            field = meta.fields_map[name]
            if isinstance(field, fields.JSONField):
                kind: int = _JSON
            elif isinstance(field, fields.DatetimeField):
                kind = _TIME
            elif isinstance(field, fields.CharField):
                kind = _CHAR
            else:
                kind = _PLAIN
            self._plan.append((name, kind, field))
            self.columns.append(column)
        self._built = True

    def sql(self, dialect: str) -> str:
        """The statement for `dialect`."""
        if not self._built:
            self._build()
        if dialect not in self._sql:
            self._sql[dialect] = (f'INSERT INTO "{self.table}" ({", ".join(self.columns)}) '
                                  f"VALUES ({marks(dialect, len(self.columns))}) {self.suffix}").rstrip()
        return self._sql[dialect]

    def position(self, name: str) -> int:
        """Where the value of field `name` is in a row (to fill in a key known only after an insert)."""
        if not self._built:
            self._build()
        return [n for n, _, _ in self._plan].index(name)

    def row(self, values: dict[str, Any], now: datetime) -> list[Any]:
        """The parameters for one row: `values` by field name (a foreign key as ``<name>_id``), the fields' own
        defaults for the rest; `now` for automatic times. Raises `TooLong`, or KeyError for a missing value."""
        if not self._built:
            self._build()
        out: list[Any] = []
        for name, kind, field in self._plan:
            if name in values:
                value = values[name]
            elif kind == _TIME and (field.auto_now or field.auto_now_add):
                value = now
            elif field.default is not None:
                value = field.default() if callable(field.default) else field.default
            elif field.null:
                value = None
            else:
                raise KeyError(f"{self.table}.{name} has no value")
            if value is None:
                out.append(None)
            elif kind == _CHAR:
                if len(value) > field.max_length:
                    raise TooLong(f"{self.table}.{name}: {len(value)} > {field.max_length} characters")
                out.append(value)
            elif kind == _JSON:
                out.append(field.encoder(value))
            elif kind == _TIME:
                out.append(value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc))
            else:
                out.append(value)
        return out

    def instance(self, values: dict[str, Any], row: list[Any], pk: Any) -> Any:
        """The model object of a row inserted from `row` (made by `row(values, now)`) whose key is `pk`, marked
        saved, without tortoise's ``__init__`` (its per-field conversions and checks cost more than the insert;
        `row` holds the values it would have converted). JSON fields take their decoded value from `values`."""
        if not self._built:
            self._build()
        obj = self.model.__new__(self.model)
        attrs = obj.__dict__
        attrs.update(_partial=False, _saved_in_db=True, _custom_generated_pk=False, _await_when_save={})
        attrs[self.model._meta.pk_attr] = pk
        for (name, kind, field), value in zip(self._plan, row):
            if kind == _JSON:
                if name in values:
                    value = values[name]
                elif value is not None:
                    value = field.default() if callable(field.default) else field.default
            attrs[name] = value
        return obj

    async def run(self, connection: Any, rows: Iterable[list[Any]]) -> None:
        """Insert `rows` (from `row`) on `connection`, in its transaction."""
        rows = list(rows)
        if rows:
            await connection.execute_many(self.sql(connection.capabilities.dialect), rows)
