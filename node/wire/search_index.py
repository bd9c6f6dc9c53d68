"""The wire's search index: the words of each wire story (headline, summary and body, in every language it came
with) and its IPTC Media Topics, kept in step with the story whenever it is stored, updated or killed.

Words are made in Python by `node.media.search_index` (case-folded, no stemming, Chinese one character a word, a
search word also matching as a prefix) and stored in ``wire_search`` (migration ``0013_desk_wire``): an FTS5 table
on SQLite whose rowid is the story's id, a ``tsvector`` with a GIN index on PostgreSQL. Both dialects find the same
stories; `matches` answers the same question in memory, for a story arriving on an open wire page.
"""

from __future__ import annotations

from typing import Any, Iterable

from federation.sanitize import html_to_text
# `_runs` splits a search the way the index splits text (the media stock's rules, shared on purpose).
from node.media.search_index import FTS5_TOKENIZER, _runs, fold, fts5_query, tsquery, words
from node.wire.models import WireStory, WireTopic

__all__ = ["FTS5_TOKENIZER", "document_of", "fold", "fts5_query", "index_sql", "index_story", "matches", "reindex",
           "topics_of", "tsquery"]


def _texts(headline: str, summary: str, content_html: str, obj: Any) -> list[str]:
    texts = [headline, summary, html_to_text(content_html)]
    if isinstance(obj, dict):
        for key in ("nameMap", "summaryMap", "contentMap"):
            value = obj.get(key)
            if isinstance(value, dict):
                texts += [html_to_text(str(v)) if key == "contentMap" else str(v) for v in value.values()]
    return texts


def document_of(headline: str, summary: str, content_html: str, obj: Any = None) -> str:
    """A story's index words, space-separated (every language it carries, each text once)."""
    return " ".join(words(" \n ".join(dict.fromkeys(t for t in _texts(headline, summary, content_html, obj) if t))))


def matches(query: str, document: str) -> bool:
    """Whether a search (as the list's SQL reads it: every word, as a word or its start; a Chinese run as a
    phrase) finds a story whose `document_of` is `document`."""
    indexed = document.split()
    joined = f" {document} "
    for cjk, run in _runs(query):
        if cjk:
            if f" {' '.join(run)} " not in joined:
                return False
        elif not any(w.startswith(run) for w in indexed):
            return False
    return True


async def index_story(story: WireStory, connection: Any = None, *, new: bool = False) -> str:
    """Write (or rewrite) one story's index row and topics; returns its document (`new`: a story inserted just
    now, whose topics are written for the first time)."""
    conn = connection or WireStory._meta.db
    doc = document_of(story.headline, story.summary, story.content_html, story.object)
    await conn.execute_query(index_sql(conn.capabilities.dialect), [story.id, doc])
    await _topics(story.id, story.subjects or [], conn, new=new)
    return doc


def topics_of(subjects: Iterable[Any] | None) -> dict[str, str]:
    """A story's IPTC Media Topics (code -> name as the origin named it) from its subjects."""
    wanted: dict[str, str] = {}
    for s in subjects or ():
        if isinstance(s, dict) and str(s.get("code", "")).startswith("medtop:"):
            wanted.setdefault(str(s["code"])[:20], str(s.get("name") or "")[:200])
    return wanted


def index_sql(dialect: str) -> str:
    """The statement that writes (or rewrites) a story's index row (parameters: its id, its `document_of`)."""
    if dialect == "postgres":
        return ("INSERT INTO wire_search (story_id, document) VALUES ($1, to_tsvector('simple', $2)) "
                "ON CONFLICT (story_id) DO UPDATE SET document = EXCLUDED.document")
    return "INSERT OR REPLACE INTO wire_search (rowid, document) VALUES (?, ?)"


async def _topics(story_id: int, subjects: Iterable[Any], conn: Any, *, new: bool = False) -> None:
    wanted = topics_of(subjects)
    if not new:
        await WireTopic.filter(story_id=story_id).using_db(conn).delete()
    if wanted:
        await WireTopic.bulk_create([WireTopic(story_id=story_id, code=c, name=n) for c, n in wanted.items()],
                                    using_db=conn)


async def reindex(connection: Any) -> int:
    """Rebuild the index and the topics from the table with plain SQL (the migration that makes them uses it, when
    the models are not set up); rows indexed."""
    import json

    postgres = connection.capabilities.dialect == "postgres"
    await connection.execute_query("DELETE FROM wire_search")
    await connection.execute_query("DELETE FROM wire_topic")
    _, rows = await connection.execute_query(
        "SELECT id, headline, summary, content_html, object, subjects FROM wire_story")
    for row in rows:
        obj, subjects = (json.loads(v) if isinstance(v, str) else v for v in (row["object"], row["subjects"]))
        doc = document_of(row["headline"], row["summary"], row["content_html"], obj)
        if postgres:
            await connection.execute_query("INSERT INTO wire_search (story_id, document) "
                                           "VALUES ($1, to_tsvector('simple', $2))", [row["id"], doc])
        else:
            await connection.execute_query("INSERT INTO wire_search (rowid, document) VALUES (?, ?)",
                                           [row["id"], doc])
        codes = {str(s["code"])[:20]: str(s.get("name") or "")[:200] for s in subjects or []
                 if isinstance(s, dict) and str(s.get("code", "")).startswith("medtop:")}
        for code, name in codes.items():
            await connection.execute_query(
                "INSERT INTO wire_topic (story_id, code, name) VALUES " + ("($1, $2, $3)" if postgres else "(?, ?, ?)"),
                [row["id"], code, name])
    return len(rows)
