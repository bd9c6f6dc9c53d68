"""Searching the media stock, own and received items, through the editor API of a real loopback node (SQLite, and
PostgreSQL when AGENCY_NODE_TEST_POSTGRES_URL is set) and through `agency-node media list|search`."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import urlencode

from federation.store.models import RemoteActor
from node.media import search_index
from node.media.models import MediaItem
from tests.node.media.test_stock_api import PDF, _upload_raw, png
from tests.node.test_cli import cli, initialised  # noqa: F401 (fixture)
from tests.nodes import node_on

XINHUA = "https://xinhua.example/actors/xinhua"
ANKARA = "https://ankara.example/actors/aa"


async def _received(**fields) -> None:
    """A partner's item as the receiving side stores it (origin set), made directly in the table."""
    await MediaItem.create(media_type={"image": "image/jpeg", "video": "video/mp4"}[fields["kind"]], size=1000,
                           **fields)


async def _partners() -> None:
    now = datetime.now(timezone.utc)
    await RemoteActor.create(uri=XINHUA, host="xinhua.example", preferred_username="xinhua", name="Xinhua",
                             inbox=XINHUA + "/inbox", fetched_at=now)
    await RemoteActor.create(uri=ANKARA, host="ankara.example", preferred_username="aa", name="Anadolu Agency",
                             inbox=ANKARA + "/inbox", fetched_at=now)
    await _received(sha256="c" * 64, kind="image", alt={"zh-Hans": "北京今天下雨了，行人打着伞"},
                    caption={"en": "Rain in Beijing"}, credit="Xinhua / 李明", origin_actor=XINHUA,
                    origin_url="https://xinhua.example/media/" + "c" * 64,
                    created_at=datetime(2026, 1, 10, 8, 30, tzinfo=timezone.utc))
    await _received(sha256="d" * 64, kind="video", caption={"tr": "Şafakta İstanbul Boğazı'nda vapur"},
                    credit="AA / Mehmet Yılmaz", origin_actor=ANKARA, filename="bogaz_vapur.mp4",
                    origin_url="https://ankara.example/media/" + "d" * 64,
                    created_at=datetime(2025, 6, 1, 5, 0, tzinfo=timezone.utc))


async def _stock(baku) -> dict[str, str]:
    """Two own items uploaded through the API and two partners' items; their ids by a letter."""
    _, a = await _upload_raw(baku, png(3, 2), "image/png", language="az", alt="Bakı limanında gəmilər",
                             **{"caption.en": "Ships in the port of Baku", "credit": "Rəşad Əliyev / Baku News"})
    _, b = await _upload_raw(baku, PDF, "application/pdf", filename="peregovory.pdf", language="ru",
                             caption="Отчёт о переговорах в Москве", credit="Baku News")
    await baku.db(_partners)
    return {"a": a["id"], "b": b["id"], "c": "c" * 64, "d": "d" * 64}


async def _find(baku, **params) -> list[str]:
    status, doc = await baku.api("GET", "/api/media?" + urlencode(params))
    assert status == 200, doc
    return [m["id"] for m in doc["media"]]


async def test_media_search__a_word_in_each_language_credit_and_file_name_finds_its_item(tmp_path, database_url):
    """Words in az, ru, zh-Hans, tr and en alt texts and captions, in credits and file names, each find their item
    and only it, on SQLite and on PostgreSQL."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        ids = await _stock(baku)
        expected = {
            "Bakı": "a", "limanında": "a", "GƏMİLƏR": "a", "port": "a",    # az (any case), en
            "переговорах": "b", "москв": "b", "ОТЧЁТ": "b",                 # ru, a prefix, upper case
            "北京": "c", "下雨": "c", "行人": "c", "李明": "c",              # zh-Hans inside a sentence, credit
            "İstanbul": "d", "istanbul": "d", "vapur": "d", "bogaz": "d",  # tr (dotted capital İ), file name
            "Əliyev": "a", "Yılmaz": "d", "peregovory": "b",
        }
        for word, letter in expected.items():
            assert await _find(baku, q=word) == [ids[letter]], word
        # Every word must be there; a phrase of Chinese characters must be in that order.
        assert await _find(baku, q="Baku ships") == [ids["a"]]
        assert await _find(baku, q="Baku Beijing") == []
        assert await _find(baku, q="雨下") == []
        # The credit filter is a case-insensitive part of the credit line, in any script.
        assert await _find(baku, credit="baku news") == [ids["b"], ids["a"]]
        assert await _find(baku, credit="李") == [ids["c"]]
        assert await _find(baku, credit="rəşad ə") == [ids["a"]]


async def test_media_search__filters_by_agency_kind_language_and_date_newest_first(tmp_path, database_url):
    """Own and partners' items by agency (own, partners, a handle, an actor URI), kind, language and date range,
    newest first, paged with limit and offset."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        ids = await _stock(baku)
        a, b, c, d = (ids[k] for k in "abcd")
        assert await _find(baku) == [b, a, c, d]
        assert await _find(baku, agency="own") == [b, a]
        assert await _find(baku, agency=baku.actor_id) == [b, a]
        assert await _find(baku, agency="baku@" + baku.config.host) == [b, a]
        assert await _find(baku, agency="partners") == [c, d]
        assert await _find(baku, agency="xinhua@xinhua.example") == [c]
        assert await _find(baku, agency="@aa@ankara.example") == [d]
        assert await _find(baku, agency=ANKARA) == [d]
        assert await _find(baku, kind="image") == [a, c]
        assert await _find(baku, kind="document") == [b]
        assert await _find(baku, language="zh") == [c]          # zh finds zh-Hans
        assert await _find(baku, language="zh-Hans") == [c]
        assert await _find(baku, language="en") == [a, c]
        assert await _find(baku, language="ru", kind="image") == []
        assert await _find(baku, until="2025-12-31") == [d]
        assert await _find(baku, since="2026-01-01", until="2026-01-10") == [c]   # a date until is its whole day
        assert await _find(baku, since="2026-01-10T09:00:00Z", agency="partners") == []
        assert await _find(baku, since="2026-01-01", q="rain", agency="partners", kind="image") == [c]

        status, first = await baku.api("GET", "/api/media?limit=3")
        assert [m["id"] for m in first["media"]] == [b, a, c] and first["next_offset"] == 3
        status, rest = await baku.api("GET", "/api/media?limit=3&offset=3")
        assert [m["id"] for m in rest["media"]] == [d] and rest["next_offset"] is None
        received = next(m for m in first["media"] if m["id"] == c)
        assert received["origin_actor"] == XINHUA and received["credit"] == "Xinhua / 李明"
        assert received["origin_agency"] == "Xinhua" and "origin_agency" not in first["media"][0]


# (query, whether it finds item "a"): only the words of a query are searched, so NEAR and AND are words too.
SYNTAX = [
    ('"', False), ('"Bakı', True), ("Bakı*", True), ("*", False), ("NEAR(Bakı gəmilər)", False),
    ("NEAR(Bakı gəmilər", False), ("-Bakı", True), ("Bakı -", True), ("AND", False), ("Bakı AND gəmilər", False),
    ("col:Bakı", False), ("^Bakı", True), ("'); DROP TABLE media_item; --", False), ("()", False),
    ("Bakı\\", True), ("Bakı & | ! <-> :*", True), ("'Bakı''", True), ("gəmilər {Bakı} [port]", True),
    ("*-\"'", False),
]


async def test_media_search__query_syntax_characters_are_plain_text_not_errors(tmp_path, database_url):
    """Quotes, *, NEAR, -, AND and the operators of FTS5 and of PostgreSQL's tsquery: a 200 answer every time,
    and the words in the query are what is searched."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        ids = await _stock(baku)
        for query, finds_a in SYNTAX:
            assert await _find(baku, q=query) == ([ids["a"]] if finds_a else []), query
        assert len(await _find(baku)) == 4  # nothing was dropped


BAD = [
    ({"kind": "photo"}, "kind"), ({"since": "yesterday"}, "since"), ({"until": "2026-13-01"}, "until"),
    ({"limit": "0"}, "limit"), ({"limit": "501"}, "limit"), ({"limit": "ten"}, "limit"), ({"offset": "-1"}, "offset"),
    ({"language": "xx-Nope"}, "language"), ({"agency": "nobody@nowhere.example"}, "agency"),
    ({"colour": "red"}, "colour"), ({"q": "x" * 501}, "q"),
]


async def test_media_search__bad_parameters_are_422_problems_naming_the_parameter(tmp_path):
    """Each bad or unknown parameter answers a 422 problem document that names it."""
    async with node_on(tmp_path, "baku", None) as baku:
        for params, parameter in BAD:
            status, problem = await baku.api("GET", "/api/media?" + urlencode(params))
            assert status == 422, (params, problem)
            assert problem["title"] == "Invalid input" and problem["detail"].startswith(f"{parameter}: "), problem
            assert list(problem["errors"]) == [parameter]


async def test_media_search__the_index_follows_edits_and_deletions(tmp_path, database_url):
    """A changed alt text is found by its new words and no longer by the old; a deleted item leaves no index row."""
    async with node_on(tmp_path, "baku", database_url) as baku:
        ids = await _stock(baku)
        status, _ = await baku.api("PATCH", f"/api/media/{ids['a']}", {"alt": {"az": "Xəzər sahilində qayıqlar"}})
        assert status == 200
        assert await _find(baku, q="qayıqlar") == [ids["a"]]
        assert await _find(baku, q="limanında") == []
        assert await _find(baku, q="port") == [ids["a"]]  # the English caption was not touched

        async def delete_and_count() -> int:
            await (await MediaItem.get(sha256="d" * 64)).delete()
            conn = MediaItem._meta.db
            _, rows = await conn.execute_query("SELECT count(*) AS n FROM media_search")
            return rows[0]["n"]

        assert await baku.db(delete_and_count) == 3
        assert await _find(baku, q="vapur") == []


async def test_media_search__reindex_rebuilds_the_index_from_the_table(tmp_path):
    """Items whose index rows are gone (written around the ORM) are found again after `reindex`."""
    async with node_on(tmp_path, "baku", None) as baku:
        ids = await _stock(baku)

        async def wipe() -> None:
            await MediaItem._meta.db.execute_query("DELETE FROM media_search")

        await baku.db(wipe)
        assert await _find(baku, q="Bakı") == []
        assert await baku.db(lambda: search_index.reindex(MediaItem._meta.db)) == 4
        assert await _find(baku, q="Bakı") == [ids["a"]] and await _find(baku, q="北京") == [ids["c"]]


def test_search_index__words_fold_case_and_split_chinese_into_characters():
    """The index's words: case-folded (Turkish İ as i), punctuation dropped, Chinese one character a word."""
    assert search_index.words("İSTANBUL'da, Bakı-2026 北京下雨") == ["istanbul", "da", "bakı", "2026", "北", "京",
                                                                   "下", "雨"]
    assert search_index.fts5_query('"NEAR(a* -b)') == '"near"* AND "a"* AND "b"*'
    assert search_index.fts5_query("北京 Bakı") == '"北 京" AND "bakı"*'
    assert search_index.tsquery("北京 Bakı") == "('北' <-> '京') & 'bakı':*"
    assert search_index.fts5_query("* - \"") is None and search_index.tsquery("* - \"") is None


def test_cli_media__search_and_list_with_filters_as_a_table_or_json(initialised):  # noqa: F811
    """`media search TEXT --kind --agency --language` and `media list --credit` print a table or --json; bad
    options are one plain line; every command has --help."""
    folder, _, _ = initialised
    photo, report = folder / "liman.png", folder / "report.pdf"
    photo.write_bytes(png())
    report.write_bytes(PDF)
    assert cli("media", "add", str(photo), "--alt", "Bakı limanında gəmilər", "--credit", "Rəşad Əliyev",
               cwd=folder).returncode == 0
    assert cli("media", "add", str(report), "--caption", "Отчёт о переговорах", "--language", "ru",
               cwd=folder).returncode == 0

    res = cli("media", "search", "limanında", "--kind", "image", "--agency", "own", "--language", "az", "--json",
              cwd=folder)
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    assert [(r["filename"], r["credit"]) for r in rows] == [("liman.png", "Rəşad Əliyev")]
    res = cli("media", "search", "переговорах", cwd=folder)
    assert res.returncode == 0 and res.stdout.splitlines()[0].split()[:6] == ["ID", "KIND", "CREATED", "FROM",
                                                                             "CREDIT", "TEXT"]
    assert len(res.stdout.splitlines()) == 2 and "document" in res.stdout and "Отчёт о переговорах" in res.stdout
    assert " own " in res.stdout.splitlines()[1]
    res = cli("media", "search", '"NEAR -*', "--json", cwd=folder)
    assert res.returncode == 0 and json.loads(res.stdout) == []
    res = cli("media", "list", "--credit", "əliyev", "--json", cwd=folder)
    assert [r["kind"] for r in json.loads(res.stdout)] == ["image"]
    res = cli("media", "list", "--limit", "1", cwd=folder)
    assert res.returncode == 0 and "(more: --offset 1)" in res.stderr

    for bad, option in ((["--kind", "photo"], "--kind"), (["--since", "soon"], "--since"),
                        (["--agency", "nobody@nowhere.example"], "--agency"), (["--limit", "0"], "--limit")):
        res = cli("media", "search", "x", *bad, cwd=folder)
        assert res.returncode == 1, bad
        assert res.stderr.startswith(f"agency-node media: {option}: ") and len(res.stderr.strip().splitlines()) == 1
    for action in ("list", "search", "show", "add"):
        res = cli("media", action, "--help", cwd=folder)
        assert res.returncode == 0 and "usage: agency-node media" in res.stdout, action
