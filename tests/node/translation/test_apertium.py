"""The Apertium engine: code mapping and mark stripping (pure), then the engine against a real APy server and
against a failing stand-in."""

from __future__ import annotations

import pytest
from aiohttp import web

from federation.http import HttpClient, HttpPolicy
from node.translation.apertium import ApertiumEngine, clean_marks, from_apertium, prepare_text, to_apertium
from node.translation.glossary import Glossary
from node.translation.mt import EngineAnswerInvalid, EngineRefused, EngineUnavailable, translate_fields
from tests.apertium_server import apertium_url
from tests.nodes import free_port

apertium = pytest.fixture(scope="module")(apertium_url)


@pytest.fixture
async def http():
    client = HttpClient(HttpPolicy(user_agent="agency-node-test", allow_private=True, timeout=10),
                        signing_threads=1)
    await client.start()
    yield client
    await client.close()


@pytest.mark.parametrize(("code", "tag"), [
    ("eng", "en"), ("spa", "es"), ("rus", "ru"), ("ukr", "uk"), ("tur", "tr"), ("aze", "az"), ("kaz", "kk"),
    ("eng_US", "en-US"), ("uzb_Latn", "uz-Latn"), ("ast", "ast"), ("crh", "crh"), ("cat_valencia", "ca-valencia"),
])
def test_codes__iso_639_3_and_bcp_47_both_ways(code, tag):
    """Apertium's ISO 639-3 codes (with their variants) map to BCP 47 tags and back unchanged."""
    assert from_apertium(code) == tag
    assert to_apertium(tag) == code


@pytest.mark.parametrize(("answer", "html", "clean"), [
    ("La agencia en *Baku.", False, "La agencia en Baku."),
    ("<p>en <b>*Baku</b> @casa #dio *Xyzzy.</p>", True, "<p>en <b>Baku</b> casa dio Xyzzy.</p>"),
    ('<a href="#sec" title="*x">*Aktau</a>', True, '<a href="#sec" title="*x">Aktau</a>'),
    ("<p>&#64;casa &#35;1 5&#42;3 &amp; [#0] [# 1]</p>", True, "<p>&#64;casa &#35;1 5&#42;3 &amp; [#0] [# 1]</p>"),
    ("&#42;negrita&#42; &#64;x, *Baku y [#2] &lt;3", False, "*negrita* @x, Baku y [#2] <3"),
])
def test_clean_marks__removes_apertiums_marks_only(answer, html, clean):
    """Bare *, @ and # in the answer's text go; tags, attributes, references and placeholders stay."""
    assert clean_marks(answer, html=html) == clean


def test_prepare_text__own_marks_become_references_and_named_references_characters():
    """The text's own *, @ and # travel as references (placeholders excepted); &eacute; becomes é."""
    assert prepare_text("5*3 @x #y [#0] <b>", html=False) == "5&#42;3 &#64;x &#35;y [#0] &lt;b&gt;"
    assert prepare_text('<p title="a#b">caf&eacute; &amp; #1</p>', html=True) == \
        '<p title="a#b">café &amp; &#35;1</p>'


async def test_engine__real_apy_translates_without_marks(http, apertium):
    """Against a real APy: pairs come back as BCP 47, English becomes Spanish, unknown words lose their '*'
    and the text's own '*', '@' and '#' survive."""
    engine = ApertiumEngine(apertium, http)
    pairs = await engine.languages()
    assert "es" in pairs["en"] and "en" in pairs["es"]
    out = await engine.translate(["The agency published the report on Monday.", "Xyzzy met @home #1, 5*3."],
                                 "en", "es", html=False)
    assert out[0] == "La agencia publicó el informe el lunes."
    assert "Xyzzy" in out[1] and "*Xyzzy" not in out[1] and "@" in out[1] and "#1" in out[1] and "5*3" in out[1]
    html = await engine.translate(['<p>The report on <a href="#x">Baku</a> &amp; Aktau.</p>'], "en", "es", html=True)
    assert html[0].startswith("<p>") and '<a href="#x">Baku</a>' in html[0] and "*" not in html[0]


async def test_engine__glossary_terms_protected_through_apy(http, apertium):
    """Protected terms travel as placeholders through Apertium and come back as written."""
    engine = ApertiumEngine(apertium, http)
    out = await translate_fields(engine, {"headline": ("SOCAR published the report on Monday.", False),
                                          "body_html": ("<p>SOCAR runs the terminal.</p>", True)},
                                 source="en", target="es", glossary=Glossary(("SOCAR",)))
    assert out["headline"].startswith("SOCAR ") and "lunes" in out["headline"]
    assert "SOCAR" in out["body_html"] and "*" not in out["body_html"]


async def test_engine__unsupported_pair_refused_naming_it(http, apertium):
    """A pair APy does not have is EngineRefused naming it in both code systems (never retried)."""
    engine = ApertiumEngine(apertium, http)
    assert not await engine.supports("en", "ru")
    with pytest.raises(EngineRefused, match=r"eng\|rus \(en -> ru\)"):
        await engine.translate(["Hello"], "en", "ru", html=False)


async def test_engine__connection_refused_is_unavailable(http):
    """Nothing listening: EngineUnavailable (the job retries)."""
    engine = ApertiumEngine(f"http://127.0.0.1:{free_port()}", http, timeout=2)
    with pytest.raises(EngineUnavailable):
        await engine.translate(["Hello"], "en", "es", html=False)


@pytest.mark.parametrize(("status", "kind"), [(503, EngineUnavailable), (500, EngineUnavailable),
                                              (400, EngineRefused), (404, EngineAnswerInvalid),
                                              (200, EngineAnswerInvalid)])
async def test_engine__error_answers_map_to_kinds(http, status, kind):
    """5xx is an outage (retry), 400 a refused request (dead), other answers invalid (retry); a 200 that is
    not APy's JSON is invalid too."""
    async def pairs(_: web.Request) -> web.Response:
        return web.json_response({"responseData": [{"sourceLanguage": "eng", "targetLanguage": "spa"}]})

    async def translate(_: web.Request) -> web.Response:
        if status == 200:
            return web.Response(text="<html>not json</html>")
        return web.json_response({"status": "error", "code": status, "explanation": "broken"}, status=status)

    app = web.Application()
    app.router.add_get("/listPairs", pairs)
    app.router.add_post("/translate", translate)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        with pytest.raises(kind):
            await ApertiumEngine(f"http://127.0.0.1:{port}", http).translate(["Hi"], "en", "es", html=False)
    finally:
        await runner.cleanup()
