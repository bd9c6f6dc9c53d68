"""The LibreTranslate engine and the translation pipeline against the stand-in server over loopback."""

from __future__ import annotations

import logging

import pytest

from node.translation.glossary import Glossary
from federation.http import HttpClient, HttpPolicy
from node.translation.libretranslate import LibreTranslateEngine
from node.translation.mt import EngineAnswerInvalid, EngineRefused, EngineUnavailable, match_code, translate_fields
from tests.libretranslate_stub import LibreTranslateStub

SECRET = "lt-key-0123456789-secret"


@pytest.fixture
async def http():
    client = HttpClient(HttpPolicy(user_agent="agency-node-test", allow_private=True, timeout=10),
                        signing_threads=1)
    await client.start()
    yield client
    await client.close()


@pytest.fixture
async def stub():
    async with LibreTranslateStub() as s:
        yield s


def test_match_code__script_must_be_the_languages_usual_one():
    """uz-Latn maps to the engine's uz; az-Cyrl does not map to Latin az; exact codes win."""
    codes = ["az", "uz", "zh-Hans", "ru"]
    assert match_code("uz-Latn", codes) == "uz"
    assert match_code("az-Cyrl", codes) is None
    assert match_code("zh-Hans", codes) == "zh-Hans"
    assert match_code("ru-RU", codes) == "ru"
    assert match_code("kk", codes) is None


async def test_engine__text_and_html_in_one_request_each(http, stub):
    """A list goes as q=[...] with the right format; the answer maps back one to one; HTML tags survive."""
    engine = LibreTranslateEngine(stub.url, http)
    assert await engine.translate(["Salam", "Dünya"], "az", "ru", html=False) == ["[ru] Salam", "[ru] Dünya"]
    out = await engine.translate(['<p>Salam <a href="https://x.example/">dünya</a></p>'], "az", "ru", html=True)
    assert out == ['<p>[ru] Salam <a href="https://x.example/">[ru] dünya</a></p>']
    assert [(c.format, c.source, c.target, c.q) for c in stub.calls][0] == ("text", "az", "ru", ["Salam", "Dünya"])
    assert stub.calls[1].format == "html"


async def test_engine__languages_and_supports(http, stub):
    """GET /languages is read; unsupported pairs are refused before any translate request."""
    engine = LibreTranslateEngine(stub.url, http)
    assert await engine.supports("az", "ru") and not await engine.supports("az", "hu")
    with pytest.raises(EngineRefused):
        await engine.translate(["x"], "az", "hu", html=False)
    assert stub.calls == []


async def test_engine__api_key_sent_in_body_and_never_logged(http, caplog):
    """The key travels in the JSON body; a wrong key is a retryable 403; the key is in no log or message."""
    caplog.set_level(logging.DEBUG)
    async with LibreTranslateStub(api_keys={SECRET}) as stub:
        good = LibreTranslateEngine(stub.url, http, api_key=SECRET)
        assert await good.translate(["a"], "en", "ru", html=False) == ["[ru] a"]
        assert stub.calls[-1].api_key == SECRET
        bad = LibreTranslateEngine(stub.url, http, api_key="wrong-key-value")
        with pytest.raises(EngineUnavailable) as err:
            await bad.translate(["a"], "en", "ru", html=False)
        assert "Invalid API key" in str(err.value) and "wrong-key-value" not in str(err.value)
        assert SECRET not in repr(good) and SECRET not in caplog.text


async def test_engine__key_required_is_retryable(http):
    """A server that wants a key (400 'contact the operator') keeps the job waiting for the operator."""
    async with LibreTranslateStub(api_keys={SECRET}, require_key=True) as stub:
        with pytest.raises(EngineUnavailable):
            await LibreTranslateEngine(stub.url, http).translate(["a"], "en", "ru", html=False)


@pytest.mark.parametrize(("mode", "error"), [
    ("429", EngineUnavailable), ("500", EngineUnavailable), ("malformed", EngineAnswerInvalid),
    ("wrong_length", EngineAnswerInvalid),
])
async def test_engine__error_answers(http, stub, mode, error):
    """429 and 500 are retryable outages; a non-JSON answer or a wrong count is an invalid answer."""
    stub.mode = mode
    with pytest.raises(error) as err:
        await LibreTranslateEngine(stub.url, http).translate(["a", "b"], "en", "ru", html=False)
    assert err.value.retryable


async def test_engine__text_over_the_servers_limit_is_refused(http):
    """LibreTranslate's 400 'exceeds text limit' is permanent: asking again will not help."""
    async with LibreTranslateStub(char_limit=5) as stub:
        with pytest.raises(EngineRefused) as err:
            await LibreTranslateEngine(stub.url, http).translate(["too long text"], "en", "ru", html=False)
        assert "exceeds text limit" in str(err.value) and not err.value.retryable


async def test_engine__timeout_and_connection_refused(http, stub):
    """A slow engine times out; a closed port is connection refused: both retryable outages."""
    stub.mode, stub.delay = "slow", 3
    with pytest.raises(EngineUnavailable, match="no answer within"):
        await LibreTranslateEngine(stub.url, http, timeout=0.3).translate(["a"], "en", "ru", html=False)
    await stub.outage()
    with pytest.raises(EngineUnavailable):
        await LibreTranslateEngine(stub.url, http).translate(["a"], "en", "ru", html=False)


async def test_engine__private_address_refused_unless_allowed(stub):
    """With the default policy a loopback engine is refused at connect time, naming the setting to change."""
    client = HttpClient(HttpPolicy(user_agent="t"), signing_threads=1)
    await client.start()
    try:
        with pytest.raises(EngineUnavailable, match="allow_private_engine"):
            await LibreTranslateEngine(stub.url, client).translate(["a"], "en", "ru", html=False)
    finally:
        await client.close()
    assert stub.calls == []


async def test_pipeline__long_body_batched_and_reassembled(http, stub):
    """A long body is cut under the limit, sent in several requests (progress after each), reassembled."""
    engine = LibreTranslateEngine(stub.url, http)
    body = "".join(f"<p>Paragraph {i} about the ferry from SOCAR port.</p>" for i in range(40))
    seen = []
    out = await translate_fields(
        engine, {"headline": ("Ferry news", False), "summary": ("", False), "body": (body, True)},
        source="en", target="ru", glossary=Glossary(protected=("SOCAR",)), chunk_chars=300, batch_texts=3,
        progress=seen.append)
    assert out["headline"] == "[ru] Ferry news" and out["summary"] == ""
    assert out["body"].count("<p>[ru] Paragraph") == 40 and out["body"].count("SOCAR") == 40
    html_calls = [c for c in stub.calls if c.format == "html"]
    assert len(html_calls) > 2 and all(len(c.q) <= 3 and sum(map(len, c.q)) <= 300 for c in html_calls)
    assert all("SOCAR" not in t for c in stub.calls for t in c.q)  # never sent to the engine
    assert [p.done for p in seen] == list(range(1, len(stub.calls) + 1)) and seen[-1].total == len(stub.calls)


async def test_pipeline__lost_placeholder_fails(http, stub):
    """An engine that drops a protected term's placeholder fails the translation (retryable)."""
    stub.mode = "drop_placeholders"
    with pytest.raises(EngineAnswerInvalid, match="placeholder"):
        await translate_fields(LibreTranslateEngine(stub.url, http), {"body": ("<p>SOCAR said</p>", True)},
                               source="en", target="ru", glossary=Glossary(protected=("SOCAR",)))


async def test_pipeline__engine_html_is_sanitized(http, stub):
    """Whatever HTML comes back from the engine is sanitized before anyone stores it."""
    out = await translate_fields(LibreTranslateEngine(stub.url, http),
                                 {"body": ('<p onclick="x()">Hi</p><script>alert(1)</script>', True)},
                                 source="en", target="ru")
    assert out["body"] == "<p>[ru] Hi</p>"
