"""The desk's own state: what an editor keeps for themselves (saved wire searches)."""

from __future__ import annotations

from tortoise import fields

from federation.store.base import Model  # tortoise's, without reading our source (see there)

__all__ = ["SavedSearch"]


class SavedSearch(Model):
    """A named set of wire filters one user saved (the wire page's query string, filters only)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="saved_searches", on_delete=fields.CASCADE, db_index=True)
    name = fields.CharField(max_length=100)
    query = fields.CharField(max_length=2000, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "desk_saved_search"
        table_description = "A wire search an editor saved under a name (its filters as a query string)."
        unique_together = (("user", "name"),)


__models__ = [SavedSearch]
