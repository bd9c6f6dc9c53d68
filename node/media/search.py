"""Searching the media stock, own and received items alike: the filters an editor gives and the query they make.

Filters (the API's query parameters and the CLI's options, by the same names):

- ``q``: words in the alt texts and captions (any language), the credit and the file name; every word must be
  there (as a word or the start of one); quotes, ``*``, ``-`` and ``NEAR`` are plain text, never query syntax;
- ``agency``: ``own`` (our items), ``partners`` (every received item), or one partner by its actor URI or
  handle (``user@host``, ``@user@host``, ``acct:user@host``; a bare ``user`` matches that name on any host);
- ``kind``: image, video, audio or document; ``language``: items with alt text or a caption in that language (``zh``
  also finds ``zh-Hans``); ``credit``: a part of the credit line, case-insensitive;
- ``since``/``until``: when the item entered the stock (a date or an RFC 3339 time; a date ``until`` includes its
  whole day); ``limit`` (1 to 500, default 50) and ``offset`` page through the results, newest first.

The full-text part is `node.media.search_index`; this module builds one SQL query per dialect from the filters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any, Callable, Mapping

from federation.store.models import RemoteActor
from node.media import search_index
from node.media.models import MediaItem
from node.media.stock import KINDS, MediaError, item_json, origin_agencies
from schemas.languages import normalize_tag

__all__ = ["FILTERS", "FilterError", "Filters", "Page", "own_names", "page_json", "parse_filters", "search"]

FILTERS = ("q", "agency", "kind", "language", "since", "until", "credit", "limit", "offset")
DEFAULT_LIMIT, MAX_LIMIT = 50, 500
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class FilterError(MediaError):
    """A filter that cannot be used; ``parameter`` names it (a 422 problem)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(422, "Invalid input", f"{parameter}: {message}")
        self.parameter, self.message = parameter, message


@dataclass(frozen=True)
class Filters:
    """What to look for; empty fields do not filter."""

    q: str = ""
    agency: str = ""
    kind: str = ""
    language: str = ""
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    credit: str = ""
    limit: int = DEFAULT_LIMIT
    offset: int = 0


@dataclass(frozen=True)
class Page:
    """One page of results, newest first, the offset of the next page (None on the last), and the names of the
    partner agencies the received ones came from (by actor URI)."""

    items: list[MediaItem]
    next_offset: int | None
    agencies: Mapping[str, str]


def page_json(page: Page, url_of: Callable[[str], str]) -> list[dict[str, Any]]:
    """The page's items for the API and the CLI; a received one also names its agency (``origin_agency``)."""
    out = []
    for item in page.items:
        doc = item_json(item, url_of(item.sha256))
        if item.origin_actor:
            doc["origin_agency"] = page.agencies.get(item.origin_actor) or item.origin_actor
        out.append(doc)
    return out


def _time(parameter: str, value: str, *, end_of_day: bool) -> datetime:
    text = value.strip()
    try:
        if _DATE.fullmatch(text):
            day = datetime.combine(datetime.fromisoformat(text).date(), time(), tzinfo=timezone.utc)
            return day + timedelta(days=1) if end_of_day else day
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise FilterError(parameter, f"{value!r} is not a date (2026-12-05) or a time (2026-12-05T10:00:00Z)"
                          ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _int(parameter: str, value: str, low: int, high: int | None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise FilterError(parameter, f"{value!r} is not a whole number") from None
    if number < low or (high is not None and number > high):
        raise FilterError(parameter, f"from {low} to {high}" if high is not None else f"at least {low}")
    return number


def parse_filters(raw: Mapping[str, Any]) -> Filters:
    """Filters from query parameters or CLI options (strings; None or empty means not given). Raises FilterError
    naming the first bad or unknown parameter."""
    given = {k: str(v) for k, v in raw.items() if v is not None and str(v) != ""}
    for key in given:
        if key not in FILTERS:
            raise FilterError(key, f"unknown filter (use {', '.join(FILTERS)})")
    kind = given.get("kind", "")
    if kind and kind not in KINDS:
        raise FilterError("kind", f"one of {', '.join(KINDS)}")
    language = given.get("language", "")
    if language:
        try:
            language = normalize_tag(language)
        except ValueError as exc:
            raise FilterError("language", str(exc)) from None
    since = _time("since", given["since"], end_of_day=False) if "since" in given else None
    until = _time("until", given["until"], end_of_day=True) if "until" in given else None
    for key in ("q", "credit", "agency"):
        if len(given.get(key, "")) > 500:
            raise FilterError(key, "at most 500 characters")
    return Filters(q=given.get("q", "").strip(), agency=given.get("agency", "").strip(), kind=kind,
                   language=language, since=since, until=until, credit=given.get("credit", "").strip(),
                   limit=_int("limit", given["limit"], 1, MAX_LIMIT) if "limit" in given else DEFAULT_LIMIT,
                   offset=_int("offset", given["offset"], 0, None) if "offset" in given else 0)


def own_names(handle: str, host: str, actor_uri: str) -> tuple[str, ...]:
    """The ways an editor may name our own agency in an ``agency`` filter, besides ``own``."""
    return (actor_uri, handle, f"{handle}@{host}", f"@{handle}@{host}", f"acct:{handle}@{host}")


async def _partner_actors(agency: str) -> list[str]:
    """The actor URIs an agency filter names (a URI stands for itself)."""
    if agency.startswith(("http://", "https://")):
        return [agency]
    name = agency.removeprefix("acct:").lstrip("@")
    user, _, host = name.partition("@")
    query = RemoteActor.filter(preferred_username=user)
    if host:
        query = query.filter(host=host)
    found = list(await query.values_list("uri", flat=True))
    if not found:
        raise FilterError("agency", f"no partner agency {agency!r} is known here (use own, partners, an actor URI "
                                    "or a handle such as baku@news.example)")
    return found


class _Sql:
    """A WHERE clause and its parameters, in the dialect's placeholder style."""

    def __init__(self, postgres: bool) -> None:
        self.postgres, self.where, self.params = postgres, [], []  # type: ignore[var-annotated]

    def param(self, value: Any) -> str:
        if not self.postgres and isinstance(value, datetime):
            # As tortoise stores times on SQLite: ISO text in UTC, compared as text.
            value = value.astimezone(timezone.utc).isoformat(sep=" ")
        self.params.append(value)
        return f"${len(self.params)}" if self.postgres else "?"


async def search(filters: Filters, *, own: tuple[str, ...] = ()) -> Page:
    """Items matching every filter, newest first. ``own`` lists the names that mean our own agency as an
    ``agency`` filter (our actor URI, our handle), besides ``own``. Raises FilterError for an unknown agency."""
    conn = MediaItem._meta.db
    sql = _Sql(conn.capabilities.dialect == "postgres")
    joined = bool(filters.q or filters.credit or filters.language)
    if filters.q:
        match = search_index.tsquery(filters.q) if sql.postgres else search_index.fts5_query(filters.q)
        if match is None:  # only punctuation or operators: no word to look for, so nothing matches
            return Page([], None, {})
        sql.where.append(f"media_search.document @@ to_tsquery('simple', {sql.param(match)})" if sql.postgres
                         else f"media_search MATCH {sql.param(match)}")
    position = "strpos" if sql.postgres else "instr"
    if filters.credit:
        sql.where.append(f"{position}(media_search.credit, {sql.param(search_index.fold(filters.credit))}) > 0")
    if filters.language:
        tag = filters.language.lower()
        sql.where.append(f"({position}(media_search.languages, {sql.param(f' {tag} ')}) > 0 OR "
                         f"{position}(media_search.languages, {sql.param(f' {tag}-')}) > 0)")
    agency = filters.agency
    if agency in ("own", *own):
        sql.where.append("m.origin_actor = ''")
    elif agency == "partners":
        sql.where.append("m.origin_actor <> ''")
    elif agency:
        actors = await _partner_actors(agency)
        sql.where.append(f"m.origin_actor IN ({', '.join(sql.param(a) for a in actors)})")
    if filters.kind:
        sql.where.append(f"m.kind = {sql.param(filters.kind)}")
    if filters.since is not None:
        sql.where.append(f"m.created_at >= {sql.param(filters.since)}")
    if filters.until is not None:
        sql.where.append(f"m.created_at < {sql.param(filters.until)}")
    key = "media_search.item_id" if sql.postgres else "media_search.rowid"
    query = ("SELECT m.id FROM media_item m" + (f" JOIN media_search ON {key} = m.id" if joined else "")
             + (" WHERE " + " AND ".join(sql.where) if sql.where else "")
             + f" ORDER BY m.created_at DESC, m.id DESC LIMIT {sql.param(filters.limit + 1)}"
             + f" OFFSET {sql.param(filters.offset)}")
    _, rows = await conn.execute_query(query, sql.params)
    ids = [row["id"] for row in rows]
    more = len(ids) > filters.limit
    ids = ids[:filters.limit]
    by_id = {item.id: item for item in await MediaItem.filter(id__in=ids)}
    items = [by_id[i] for i in ids if i in by_id]
    return Page(items, filters.offset + filters.limit if more else None, await origin_agencies(items))
