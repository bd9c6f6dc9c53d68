"""Benchmark: the node's own overhead per machine-translated story versus the engine's time.

Runs real nodes on loopback (SQLite) and the LibreTranslate stand-in server (tests/libretranslate_stub.py),
publishes stories through the editor API, runs the translation worker, and reports per story and per job:

- queueing: publish with translation jobs minus publish on an identical node without an engine;
- engine: wall time inside `engine.translate` (HTTP round trips to the engine and its work);
- node overhead in the worker: worker time minus engine time (claim, story load, glossary masking, chunking,
  reassembly, sanitizing, row writes, and the sink: storing the translation with its provenance and queueing
  the Update, `node.translations.add_machine_translation`);
- the pure pipeline part of that (mask + split + join + unmask + sanitize), measured alone;
- Update fan-out after translation (machine translations approved at once, `review_machine = false`): signing
  and delivering each Update to a follower node, which verifies and merges it.

The stand-in engine answers in well under a millisecond; a real LibreTranslate needs tens to hundreds of
milliseconds per request, so the ratio printed is an upper bound for the node's share. Usage:

    .venv/bin/python bench/translation.py [--quick] [--stories N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from node.translation.glossary import Glossary, mask, unmask  # noqa: E402
from node.translation.htmlchunks import join, split_html, split_text  # noqa: E402
from federation.sanitize import sanitize_html  # noqa: E402
from federation.store.models import Delivery  # noqa: E402
from node.translation.models import TranslationJob
from tests.libretranslate_stub import LibreTranslateStub  # noqa: E402
from tests.nodes import node_config, running_node, settle  # noqa: E402

TARGETS = ["ru", "tr", "en"]
PROTECTED = ["SOCAR", "Heydar Aliyev Center", "ADA University"]


def story(i: int, paragraphs: int) -> dict[str, object]:
    body = "".join(f"<p>Paragraph {n} of story {i}: SOCAR and the <b>Heydar Aliyev Center</b> announced a new "
                   f"ferry schedule. Crossings resume on Monday.</p>" for n in range(paragraphs))
    return {"headline": f"SOCAR ferry schedule {i}", "summary": "Crossings to Aktau resume on Monday.",
            "body": body, "language": "az"}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def pure_pipeline_seconds(doc: dict[str, object], glossary: Glossary, chunk: int, rounds: int) -> float:
    """Per target: mask + split + join + unmask + sanitize of one story, with the identity as translation."""
    body, headline = str(doc["body"]), str(doc["headline"])
    start = time.perf_counter()
    for _ in range(rounds):
        for target in TARGETS:
            for text, html in ((headline, False), (body, True)):
                m = mask(text, glossary, target, html=html)
                pieces = split_html(m.text, chunk) if html else split_text(m.text, chunk)
                out = unmask(join(pieces, [p.text for p in pieces if p.translate]), m)
                if html:
                    sanitize_html(out)
    return (time.perf_counter() - start) / (rounds * len(TARGETS))


async def run(stories: int, paragraphs: int) -> None:
    chunk = 2000
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        async with LibreTranslateStub() as stub:
            # review_machine off: machine translations go out at once, so their Update fan-out is measured too
            translation = {"engine": "libretranslate", "url": stub.url, "allow_private_engine": True,
                           "review_machine": False,
                           "targets": TARGETS, "protected": PROTECTED, "chunk_chars": chunk, "batch_texts": 16,
                           # one job at a time, so engine time and worker time are both wall time
                           "concurrency": 1}
            cfg_mt = node_config(tmp, "baku", languages=["az"], sections={"translation": translation})
            cfg_plain = node_config(tmp, "plain", languages=["az"])
            async with running_node(tmp, "baku", config=cfg_mt) as baku, \
                    running_node(tmp, "plain", config=cfg_plain) as plain, \
                    running_node(tmp, "ankara") as ankara:
                status, _ = await ankara.api("POST", "/api/following", {"handle": baku.handle})
                assert status == 202
                await settle(baku, ankara)

                docs = [story(i, paragraphs) for i in range(stories)]
                publish: dict[str, list[float]] = {"plain": [], "baku": []}
                for doc in docs:  # interleaved, so both see the same machine state
                    for name, node in (("plain", plain), ("baku", baku)):
                        t0 = time.perf_counter()
                        status, _ = await node.api("POST", "/api/stories", doc)
                        publish[name].append(time.perf_counter() - t0)
                        assert status == 201
                await settle(baku, ankara)  # the Creates: not part of translation
                sent_before = await baku.db(Delivery.filter(state="delivered").count)

                engine = baku.node.translation.engine  # type: ignore[union-attr]
                engine_time = 0.0
                requests = 0
                original = engine.translate

                async def timed(texts, source, target, *, html):  # noqa: ANN001, ANN202
                    nonlocal engine_time, requests
                    t0 = time.perf_counter()
                    try:
                        return await original(texts, source, target, html=html)
                    finally:
                        engine_time += time.perf_counter() - t0
                        requests += 1

                engine.translate = timed  # type: ignore[method-assign]
                t0 = time.perf_counter()
                while await baku.node.translate_once():
                    pass
                worker_time = time.perf_counter() - t0
                jobs = await baku.db(TranslationJob.filter(state="translated").count)
                assert jobs == stories * len(TARGETS), f"only {jobs} jobs translated"

                t0 = time.perf_counter()
                await settle(baku, ankara)
                fanout_time = time.perf_counter() - t0
                updates = await baku.db(Delivery.filter(state="delivered").count) - sent_before

    pure = pure_pipeline_seconds(docs[0], Glossary(protected=tuple(PROTECTED)), chunk, rounds=20)
    queueing = statistics.median(publish["baku"]) - statistics.median(publish["plain"])
    per_job_worker = worker_time / jobs
    per_job_engine = engine_time / jobs
    overhead_job = per_job_worker - per_job_engine
    body_chars = len(str(docs[0]["body"]))
    print(f"stories {stories} x {len(TARGETS)} targets = {jobs} jobs; body {body_chars} characters, "
          f"{requests} engine requests ({requests / jobs:.1f} per job); SQLite, one process")
    print(f"publish, median per story     plain {_ms(statistics.median(publish['plain']))}   "
          f"with jobs {_ms(statistics.median(publish['baku']))}   queueing {_ms(queueing)}")
    print(f"worker per job                {_ms(per_job_worker)}")
    print(f"  engine (stand-in) per job   {_ms(per_job_engine)}")
    print(f"  node overhead per job       {_ms(overhead_job)}")
    print(f"    of which pure pipeline    {_ms(pure)}   (glossary, chunking, reassembly, sanitize)")
    if updates:
        print(f"Update fan-out per job        {_ms(fanout_time / jobs)}   ({updates} deliveries, merged by the "
              "follower)")
    else:
        print("Update fan-out per job             n/a   (no Update was sent)")
    node_story = queueing + len(TARGETS) * overhead_job + (fanout_time / stories if updates else 0.0)
    engine_story = len(TARGETS) * per_job_engine
    print(f"per translated story          node {_ms(node_story)}   engine {_ms(engine_story)}   "
          f"ratio node/engine {node_story / engine_story:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few stories, for a smoke run")
    parser.add_argument("--stories", type=int, help="how many stories (default 40, quick 6)")
    parser.add_argument("--paragraphs", type=int, default=30, help="paragraphs per story body (default 30)")
    args = parser.parse_args()
    asyncio.run(run(args.stories or (6 if args.quick else 40), args.paragraphs))


if __name__ == "__main__":
    main()
