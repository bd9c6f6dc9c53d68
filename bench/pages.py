"""Public page costs: rendering a story page (with its OpenGraph, links and JSON-LD) and the agency's profile page
in one process, and their sizes, against the bare HTML shell of the same story.

    .venv/bin/python bench/pages.py

Prints renders per second, the ratio to the bare shell (the story's text in a page with no metadata) and the
bytes a reader downloads (the HTML only; pictures load lazily), so a page that grows heavy shows.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from node.stories.documents import LanguageVersion  # noqa: E402
from node.stories.feeds import FeedEntry  # noqa: E402
from node.web.metadata import Publisher  # noqa: E402
from node.web.pages import page_shell  # noqa: E402
from node.web.profile import FeedLink, profile_page  # noqa: E402
from node.web.story_page import Correction, Signature, StoryContext, story_page  # noqa: E402
from bench.proofs import rate  # noqa: E402

BASE = "https://news.example"
BODY = "<p>" + "The ferry line between Baku and Aktau reopens on Monday after a winter pause. " * 40 + "</p>"
WHEN = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
LEAD = {"kind": "image", "lead": True, "url": f"{BASE}/media/abc", "width": 3000, "height": 2000,
        "alt": {"en": "The Aktau ferry at the quay"}, "caption": {"en": "At the quay"}, "credit": "R. Aliyev",
        "renditions": {"web.jpg": {"url": f"{BASE}/media/abc/web.jpg", "width": 1600, "height": 1067},
                       "thumb.jpg": {"url": f"{BASE}/media/abc/thumb.jpg", "width": 400, "height": 267}}}
PUBLISHER = Publisher("Baku News Agency", f"{BASE}/actors/baku", "https://baku.example", f"{BASE}/media/logo",
                      "@baku@news.example", "Azerbaijan's newswire")


def main() -> None:
    story = SimpleNamespace(uuid="1", language="en", headline="Caspian ferry line reopens", summary="Crossings resume.",
                            body_html=BODY, hashtags=["ferry"], canonical_url=None, version=2, published_at=WHEN,
                            updated_at=WHEN, media=[LEAD])
    versions = [LanguageVersion("en", story.headline, story.summary, BODY, "original", WHEN)] + [
        LanguageVersion(lang, story.headline, story.summary, BODY, "translation", WHEN, source_language="en",
                        method="machine") for lang in ("az", "ru", "tr")]
    ctx = StoryContext(url=f"{BASE}/stories/1", publisher=PUBLISHER,
                       feed_url=lambda fmt, lang: f"{BASE}/actors/baku/feed.{fmt}?lang={lang}",
                       corrections=[Correction(WHEN, {"en": "The date was corrected."})],
                       signature=Signature(f"{BASE}/actors/baku#z6Mk", "z6Mk", 2))
    entries = [FeedEntry(f"{BASE}/stories/{n}", "en", f"Story {n}", "", "", WHEN, WHEN, lead=LEAD) for n in range(20)]
    feeds = [FeedLink(lang, fmt, f"application/{fmt}+xml", f"{BASE}/actors/baku/feed.{fmt}?lang={lang}")
             for lang in ("en", "az", "") for fmt in ("rss", "atom")]

    page = story_page(story, versions, "", ctx)
    profile = profile_page(PUBLISHER, "baku", ["en", "az"], entries, feeds)
    head = page[:page.index("</head>")]
    bare = rate(lambda: page_shell(story.headline, f"<main><h1>{story.headline}</h1>{BODY}</main>", "en"))
    full = rate(lambda: story_page(story, versions, "", ctx))
    prof = rate(lambda: profile_page(PUBLISHER, "baku", ["en", "az"], entries, feeds))
    print(f"story page bytes (4 languages):  {len(page.encode()):8d}  (head {len(head.encode())})")
    print(f"profile page bytes (20 stories): {len(profile.encode()):8d}")
    print(f"bare shell render (baseline):    {bare:8.0f}/s")
    print(f"story page render:               {full:8.0f}/s  ({full / bare:.3f} x baseline)")
    print(f"profile page render:             {prof:8.0f}/s")


if __name__ == "__main__":
    main()
