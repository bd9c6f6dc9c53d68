"""What a translation costs the network, next to publishing the story itself (measured in one run).

Two real nodes on loopback (SQLite files): Ankara follows Baku. For N stories it times
  1. baseline: publish through the API, deliver, and process the Create at Ankara;
  2. translation: submit a human translation, approve it (audit rows, new version, Update with every language
     and its provenance), deliver, and merge the languages into Ankara's copy;
and, in-process, the receiving merge alone for an Article with six languages.

    .venv/bin/python -m bench.translations [--stories 50]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from tests.nodes import running_node, settle

STORY = {"headline": "Bərə xətti açılır", "summary": "Reyslər bərpa olunur.", "language": "az",
         "body": "<p>" + "Bakı ilə Aktau arasında bərə xətti yenidən açılır. " * 40 + "</p>"}
TRANSLATION = {"language": "ru", "headline": "Паром открывается", "summary": "Рейсы возобновятся.",
               "body": "<p>" + "Паромная линия между Баку и Актау вновь открывается. " * 40 + "</p>"}


async def _main(n: int) -> None:
    from node.wire.languages import merge_languages
    from node.wire.models import WireStory

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        async with running_node(tmp_path, "baku") as baku, running_node(tmp_path, "ankara") as ankara:
            await ankara.api("POST", "/api/following", {"handle": baku.handle})
            await settle(baku, ankara)

            ids = []
            start = time.perf_counter()
            for _ in range(n):
                _, story = await baku.api("POST", "/api/stories", STORY)
                ids.append(story)
                await settle(baku, ankara)
            publish = (time.perf_counter() - start) / n

            start = time.perf_counter()
            for story in ids:
                await baku.api("POST", f"/api/stories/{story['id']}/translations", TRANSLATION)
                await baku.api("POST", f"/api/stories/{story['id']}/translations/ru/approve", {})
                await settle(baku, ankara)
            translate = (time.perf_counter() - start) / n

            languages = ("en", "ru", "tr", "kk", "uz-Latn")
            obj = {"id": ids[0]["url"], "name": STORY["headline"], "content": STORY["body"],
                   "contentMap": {"az": STORY["body"], **{t: TRANSLATION["body"] for t in languages}},
                   "nameMap": {"az": STORY["headline"], **{t: TRANSLATION["headline"] for t in languages}},
                   "languageProvenance": [{"language": t, "kind": "translation", "sourceLanguage": "az",
                                           "method": "human", "translatedBy": baku.actor_id}
                                          for t in languages]}

            async def merges() -> float:
                row = await WireStory.get(uri=ids[0]["url"])
                begin = time.perf_counter()
                for _ in range(n):
                    await merge_languages(row, obj, known_original="az")
                return (time.perf_counter() - begin) / n

            merge = await ankara.db(merges)

    print(f"stories: {n} (body {len(STORY['body'])} chars), SQLite, two nodes on loopback, one process")
    print(f"publish -> delivered -> stored at partner:            {publish * 1000:7.1f} ms/story (baseline)")
    print(f"translate: submit + approve -> Update -> merged:      {translate * 1000:7.1f} ms/story "
          f"({translate / publish:.2f}x baseline)")
    print(f"receiving merge of a 6-language Article (in-process): {merge * 1000:7.1f} ms ({merge / publish:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=50)
    asyncio.run(_main(parser.parse_args().stories))


if __name__ == "__main__":
    main()
