"""The wire as the desk lists it: filters, one page of story threads newest first, and whether a story that just
arrived belongs on a page with those filters.

Filters (the wire page's query parameters, and what a saved search keeps):

- ``q``: words in the headline, summary and body, in any language the story carries (every word, as a word or the
  start of one; quotes and operators are plain text); ``agency``: a partner by handle (``user@host``);
- ``language``: stories available in that language (``zh`` also finds ``zh-Hans``); ``topic``: an IPTC Media Topic
  code (``medtop:15000000``); ``urgency``: that urgency or more urgent (1 flash ... 9);
- ``since``/``until``: dates of publication (``until`` includes its day); ``media``: ``1`` for stories with media;
- ``before``: the page after the story with that id (paging, newest first; not a filter of saved searches).

Threads: a developing story's versions (node/wire/threads.py) are listed once, as the newest version that matches,
the others folded under it. Killed stories stay listed (marked) so that no editor misses a kill; plain deletes go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields as dc_fields
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Mapping
from urllib.parse import urlencode

from federation.store.models import RemoteActor
from node.wire import search_index
from node.wire.models import WireStory
from schemas.languages import normalize_tag

__all__ = ["FILTERS", "FilterError", "WireFilters", "Page", "list_wire", "parse_filters", "story_matches"]

FILTERS = ("q", "agency", "language", "topic", "urgency", "since", "until", "media")
PAGE_SIZE = 50
LIST_COLUMNS = ("id", "uri", "actor_id", "type", "language", "headline", "summary", "urgency", "state", "kill_reason",
                "revision", "thread", "published_at", "received_at", "updated_at", "signature", "deleted_at")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TOPIC = re.compile(r"medtop:\d{8}")


class FilterError(Exception):
    """A filter that cannot be used: `parameter` names it, `message` says why (shown on the page)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter, self.message = parameter, message


@dataclass(frozen=True)
class WireFilters:
    """What to show; empty fields do not filter."""

    q: str = ""
    agency: str = ""
    language: str = ""
    topic: str = ""
    urgency: int | None = None
    since: date | None = None
    until: date | None = None
    media: bool = False
    before: int | None = None

    def query(self, *, paging: bool = False) -> str:
        """The filters as a query string (what the page's links, the live stream and saved searches carry)."""
        pairs = []
        for f in dc_fields(self):
            value = getattr(self, f.name)
            if f.name == "before" and not paging:
                continue
            if value in (None, "", False):
                continue
            pairs.append((f.name, "1" if value is True else value.isoformat() if isinstance(value, date) else value))
        return urlencode(pairs)

    @property
    def active(self) -> bool:
        return bool(self.query())


@dataclass(frozen=True)
class Page:
    """Thread heads newest first, the earlier versions of each (by thread key, newest first) and the `before` of
    the next page (None on the last)."""

    stories: list[WireStory]
    earlier: dict[str, list[WireStory]]
    next_before: int | None


def _day(parameter: str, value: str) -> date:
    if not _DATE.fullmatch(value.strip()):
        raise FilterError(parameter, "a date such as 2026-12-05")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise FilterError(parameter, "a date such as 2026-12-05") from None


def parse_filters(raw: Mapping[str, Any]) -> WireFilters:
    """Filters from query parameters (unknown ones are ignored: the page's own, such as `lang`). Raises FilterError
    for a bad value."""
    given = {k: str(v).strip() for k, v in raw.items() if v is not None and str(v).strip() != ""}
    for key in ("q", "agency"):
        if len(given.get(key, "")) > 300:
            raise FilterError(key, "at most 300 characters")
    language = given.get("language", "")
    if language:
        try:
            language = normalize_tag(language)
        except ValueError:
            raise FilterError("language", "a language tag such as az, ru or zh-Hans") from None
    topic = given.get("topic", "")
    if topic and not _TOPIC.fullmatch(topic):
        raise FilterError("topic", "an IPTC Media Topic code such as medtop:15000000")
    urgency = None
    if "urgency" in given:
        if not given["urgency"].isdigit() or not 1 <= int(given["urgency"]) <= 9:
            raise FilterError("urgency", "a number from 1 (flash) to 9")
        urgency = int(given["urgency"])
    before = None
    if "before" in given:
        if not given["before"].isdigit():
            raise FilterError("before", "a story number")
        before = int(given["before"])
    since = _day("since", given["since"]) if "since" in given else None
    until = _day("until", given["until"]) if "until" in given else None
    if since and until and until < since:
        raise FilterError("until", "must not be before since")
    return WireFilters(q=given.get("q", ""), agency=given.get("agency", "").removeprefix("acct:").lstrip("@"),
                       language=language, topic=topic, urgency=urgency, since=since, until=until,
                       media=given.get("media", "") in ("1", "true", "on"), before=before)


class _Sql:
    """WHERE conditions and their parameters, in the dialect's placeholder style."""

    def __init__(self, postgres: bool) -> None:
        self.postgres, self.params = postgres, []  # type: ignore[var-annotated]

    def param(self, value: Any) -> str:
        if not self.postgres and isinstance(value, datetime):
            value = value.astimezone(timezone.utc).isoformat(sep=" ")  # as tortoise stores times on SQLite
        self.params.append(value)
        return f"${len(self.params)}" if self.postgres else "?"


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)


async def _actor_ids(agency: str) -> list[int]:
    user, _, host = agency.partition("@")
    query = RemoteActor.filter(preferred_username=user)
    if host:
        query = query.filter(host=host)
    return list(await query.values_list("id", flat=True))


def _conditions(f: WireFilters, a: str, sql: _Sql, actors: list[int] | None) -> list[str]:
    """The filters as conditions on the story aliased `a` (used for the page and for the newer-version check)."""
    where = [f"{a}.state <> 'deleted'"]
    if f.q:
        match = search_index.tsquery(f.q) if sql.postgres else search_index.fts5_query(f.q)
        where.append(f"{a}.id IN (SELECT story_id FROM wire_search WHERE document @@ to_tsquery('simple', "
                     f"{sql.param(match)}))" if sql.postgres
                     # `+`: walk the stories newest first and check each against the matches (found once), so
                     # the LIMIT stops the walk; SQLite otherwise looked up and sorted every match of a common word.
                     else f"+{a}.id IN (SELECT rowid FROM wire_search WHERE wire_search MATCH {sql.param(match)})")
    if actors is not None:
        where.append(f"{a}.actor_id IN ({', '.join(sql.param(i) for i in actors)})" if actors else "1 = 0")
    if f.language:
        where.append(f"EXISTS (SELECT 1 FROM wire_translation t WHERE t.story_id = {a}.id AND "
                     f"(lower(t.language) = {sql.param(f.language.lower())} OR "
                     f"lower(t.language) LIKE {sql.param(f.language.lower() + '-%')}))")
    if f.topic:
        where.append(f"EXISTS (SELECT 1 FROM wire_topic p WHERE p.story_id = {a}.id AND p.code = {sql.param(f.topic)})")
    if f.urgency is not None:
        where.append(f"{a}.urgency IS NOT NULL AND {a}.urgency <= {sql.param(f.urgency)}")
    when = f"COALESCE({a}.published_at, {a}.received_at)"
    if f.since is not None:
        where.append(f"{when} >= {sql.param(_moment(f.since))}")
    if f.until is not None:
        where.append(f"{when} < {sql.param(_moment(f.until + timedelta(days=1)))}")
    if f.media:
        where.append(f"EXISTS (SELECT 1 FROM wire_media m WHERE m.wire_story_id = {a}.id)")
    return where


async def list_wire(f: WireFilters, *, limit: int = PAGE_SIZE) -> Page:
    """One page of the wire: the newest matching version of each thread, newest first."""
    if f.q and search_index.fts5_query(f.q) is None:
        return Page([], {}, None)  # only punctuation: no word to look for
    conn = WireStory._meta.db
    sql = _Sql(conn.capabilities.dialect == "postgres")
    actors = await _actor_ids(f.agency) if f.agency else None
    where = _conditions(f, "s", sql, actors)
    if f.before is not None:
        where.append(f"s.id < {sql.param(f.before)}")
    newer = " AND ".join(_conditions(f, "n", sql, actors))
    # `+n.id`: compare without the primary key's index, so that the planner probes the thread's index (a few rows)
    # instead of scanning every newer story (SQLite chose the rowid range otherwise: quadratic on a full wire).
    where.append(f"NOT EXISTS (SELECT 1 FROM wire_story n WHERE n.thread = s.thread AND +n.id > s.id AND {newer})")
    query = (f"SELECT s.id FROM wire_story s WHERE {' AND '.join(where)} ORDER BY s.id DESC "
             f"LIMIT {sql.param(limit + 1)}")
    _, rows = await conn.execute_query(query, sql.params)
    ids = [r["id"] for r in rows]
    more = len(ids) > limit
    ids = ids[:limit]
    # The row's columns only: the object (JSON) and the body are the story view's, not the list's.
    by_id = {s.id: s for s in await WireStory.filter(id__in=ids).only(*LIST_COLUMNS).prefetch_related("actor")}
    stories = [by_id[i] for i in ids if i in by_id]
    earlier: dict[str, list[WireStory]] = {}
    threads = {s.thread for s in stories if s.thread}
    if threads:
        for other in await WireStory.filter(thread__in=list(threads)).exclude(id__in=ids).exclude(
                state="deleted").order_by("-id").only("id", "thread", "headline", "published_at", "received_at",
                                                       "urgency", "state", "revision"):
            earlier.setdefault(other.thread, []).append(other)
    return Page(stories, earlier, ids[-1] if more else None)


def story_matches(f: WireFilters, story: WireStory, *, agency: str, languages: list[str], topics: list[str],
                  has_media: bool, document: str) -> bool:
    """Whether a story (with what the list's SQL reads of it) passes the filters: the live page's check before it
    shows a story that just arrived."""
    if story.state == "deleted":
        return False
    if f.q and not search_index.matches(f.q, document):
        return False
    if f.agency:
        user, _, host = f.agency.partition("@")
        name, _, its_host = agency.partition("@")
        if name != user or (host and its_host != host):
            return False
    if f.language and not any(t.lower() == f.language.lower() or t.lower().startswith(f.language.lower() + "-")
                              for t in languages):
        return False
    if f.topic and f.topic not in topics:
        return False
    if f.urgency is not None and (story.urgency is None or story.urgency > f.urgency):
        return False
    when = story.published_at or story.received_at
    if when is not None:
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        if f.since is not None and when < _moment(f.since):
            return False
        if f.until is not None and when >= _moment(f.until + timedelta(days=1)):
            return False
    if f.media and not has_media:
        return False
    return True
