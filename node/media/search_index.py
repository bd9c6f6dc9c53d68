"""The media stock's full-text index: what of an item is searchable, and keeping the index in step with the table.

One index row per `MediaItem`, in the table ``media_search`` (migration ``0009_media_search``): an FTS5 table on
SQLite (its rowid is the item's id), a ``tsvector`` with a GIN index on PostgreSQL. Both hold the same words, made
here in Python rather than by the database's parser, so that both dialects find the same items:

- the alt texts and captions in every language, the credit and the file name, case-folded (``İ`` -> ``i``);
- no stemming and no stop words (PostgreSQL's ``simple`` configuration): Azerbaijani, Turkish and Russian words
  are kept as written, and a search word also matches as a prefix (``Bakı`` finds ``Bakıda``);
- Chinese and Japanese, written without spaces, are indexed one character a word, and a search for ``北京`` is the
  phrase ``北 京``; so a word inside a sentence is found without a dictionary.

The row is written whenever an item is saved through the ORM (a tortoise ``post_save`` signal, so items made by
any part of the node are indexed: uploads, edits, media received from partners) and removed with the item (a
trigger on SQLite, ``ON DELETE CASCADE`` on PostgreSQL). `reindex` rebuilds it all (the migration uses it).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Iterable, Mapping

from tortoise.signals import Signals

__all__ = ["FTS5_TOKENIZER", "document_of", "fold", "fts5_query", "index_item", "keep_in_step", "reindex", "tsquery",
           "words"]

# Token characters are letters, marks and numbers, as `words` splits them, so SQLite splits our text as we did.
FTS5_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N* M* Co'"

_CJK = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF))


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _CJK)


# A character's class for splitting: not part of a word, a word character, a Chinese or Japanese word character.
_GAP, _WORD, _CJK_WORD = "0", "1", "2"


# Each table keeps at most this many characters (a text of every code point would otherwise grow it to a million).
_TABLE_MAX = 1 << 16


class _Classes(dict):
    """Code point -> class, as `str.translate` reads it; each character is classified once (the table holds the
    characters seen, one short string each, and starts again when full)."""

    def __missing__(self, code: int) -> str:
        if len(self) >= _TABLE_MAX:
            self.clear()
        char = chr(code)
        if unicodedata.category(char)[0] not in "LNM":
            cls = _GAP
        else:
            cls = _CJK_WORD if _is_cjk(char) else _WORD
        self[code] = cls
        return cls


_CLASSES = _Classes()
_RUN = re.compile("1+|2+")


class _Spaced(dict):
    """Code point -> what `words` turns it into: a gap into a space, a Chinese or Japanese character into itself
    between spaces (a word of its own), any other word character into itself; so that `str.split` then gives the
    words. Filled from `_CLASSES`, once per character."""

    def __missing__(self, code: int) -> str:
        if len(self) >= _TABLE_MAX:
            self.clear()
        cls = _CLASSES[code]
        out = " " if cls == _GAP else f" {chr(code)} " if cls == _CJK_WORD else chr(code)
        self[code] = out
        return out


_SPACED = _Spaced()


def fold(text: str) -> str:
    """Text as the index compares it: NFKC, case-folded, and Turkish ``İ`` read as ``i`` (casefold leaves a
    combining dot after it that no one types)."""
    return unicodedata.normalize("NFKC", text).casefold().replace("i\u0307", "i")


def _runs(text: str) -> Iterable[tuple[bool, str]]:
    """(is_cjk, run) for each run of word characters (letters, marks, numbers) in folded text."""
    # Every character is mapped to its class by the C loop of `str.translate`; the runs are then found by a
    # regular expression over the classes, so no Python code runs per character (a story has thousands).
    folded = fold(text)
    for match in _RUN.finditer(folded.translate(_CLASSES)):
        start, end = match.span()
        yield match.group()[0] == _CJK_WORD, folded[start:end]


def words(text: str) -> list[str]:
    """The index's words of a text, in order (Chinese and Japanese one character a word)."""
    # The same words as the runs give, split by C code alone: no whitespace character is a letter, mark or number.
    return fold(text).translate(_SPACED).split()


def _languages(*maps: Mapping[str, Any]) -> str:
    tags = sorted({str(tag).lower() for m in maps for tag, text in m.items() if text})
    return " " + " ".join(tags) + " " if tags else " "


def _as_map(value: Any) -> Mapping[str, Any]:
    if isinstance(value, str):  # a JSON column read with raw SQL
        value = json.loads(value or "{}")
    return value if isinstance(value, Mapping) else {}


def document_of(alt: Any, caption: Any, credit: str, filename: str) -> tuple[str, str, str]:
    """An item's index row: (its words, its folded credit, `` az en zh-hans `` its text's languages)."""
    alt, caption = _as_map(alt), _as_map(caption)
    texts = [*map(str, alt.values()), *map(str, caption.values()), credit or "", filename or ""]
    return " ".join(words(" \n ".join(texts))), fold(credit or ""), _languages(alt, caption)


def fts5_query(text: str) -> str | None:
    """A user's search as an FTS5 query that cannot be a syntax error: every word quoted and matched as a prefix,
    a Chinese run as a phrase; None when the text has no words (only quotes, ``*``, ``-``...)."""
    terms = [f'"{" ".join(run)}"' if cjk else f'"{run}"*' for cjk, run in _runs(text)]
    return " AND ".join(terms) or None


def tsquery(text: str) -> str | None:
    """The same search as a PostgreSQL ``to_tsquery('simple', ...)`` text; None when it has no words."""
    terms = [f"({' <-> '.join(_lexeme(c) for c in run)})" if cjk else f"{_lexeme(run)}:*"
             for cjk, run in _runs(text)]
    return " & ".join(terms) or None


def _lexeme(word: str) -> str:
    # Words hold only letters, marks and numbers; quoting still keeps any operator character inert.
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


async def index_item(item: Any, connection: Any = None) -> None:
    """Write (or rewrite) one item's index row (``item`` a `node.media.models.MediaItem`)."""
    conn = connection or type(item)._meta.db
    doc, credit, languages = document_of(item.alt, item.caption, item.credit, item.filename)
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query(
            "INSERT INTO media_search (item_id, document, credit, languages) "
            "VALUES ($1, to_tsvector('simple', $2), $3, $4) ON CONFLICT (item_id) DO UPDATE SET "
            "document = EXCLUDED.document, credit = EXCLUDED.credit, languages = EXCLUDED.languages",
            [item.id, doc, credit, languages])
    else:
        # FTS5 has no upsert, but OR REPLACE on the rowid replaces the row and its index entries.
        await conn.execute_query("INSERT OR REPLACE INTO media_search (rowid, document, credit, languages) "
                                 "VALUES (?, ?, ?, ?)", [item.id, doc, credit, languages])


async def reindex(connection: Any) -> int:
    """Rebuild the whole index from the table (after the migration that makes it, or by hand); rows indexed."""
    postgres = connection.capabilities.dialect == "postgres"
    await connection.execute_query("DELETE FROM media_search")
    _, rows = await connection.execute_query("SELECT id, alt, caption, credit, filename FROM media_item")
    for row in rows:
        doc, credit, languages = document_of(row["alt"], row["caption"], row["credit"], row["filename"])
        if postgres:
            await connection.execute_query(
                "INSERT INTO media_search (item_id, document, credit, languages) "
                "VALUES ($1, to_tsvector('simple', $2), $3, $4)", [row["id"], doc, credit, languages])
        else:
            await connection.execute_query(
                "INSERT INTO media_search (rowid, document, credit, languages) VALUES (?, ?, ?, ?)",
                [row["id"], doc, credit, languages])
    return len(rows)


def keep_in_step(model: Any) -> None:
    """Index every item of ``model`` (the stock's table) as it is saved, whoever saves it (`node.media.models`
    calls this once; the index row is written in the same transaction as the item)."""
    model.register_listener(Signals.post_save, _item_saved)


async def _item_saved(sender: Any, item: Any, created: bool, using_db: Any, update_fields: list[str] | None
                      ) -> None:
    if update_fields and not {"alt", "caption", "credit", "filename"} & set(update_fields):
        return
    await index_item(item, using_db)
