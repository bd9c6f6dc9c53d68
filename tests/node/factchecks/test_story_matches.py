"""Our own stories keep the fact-checks they match: a story published before the fact-check existed is flagged
when the check arrives, through the real API of a loopback node."""

from __future__ import annotations

from tests.node.factchecks.test_api import CLAIM_URL, FACTCHECK
from tests.nodes import running_node


async def test_story_matches__story_published_before_the_check_is_flagged_when_it_comes(tmp_path):
    """A story linking the claim's URL, published first, lists the fact-check once it is published; an unrelated
    story lists none."""
    async with running_node(tmp_path, "baku") as baku:
        status, early = await baku.api("POST", "/api/stories", {
            "headline": "Viral post", "body": f'<p>See <a href="{CLAIM_URL}">this post</a>.</p>', "language": "en"})
        assert status == 201, early
        status, other = await baku.api("POST", "/api/stories", {
            "headline": "Grain talks", "body": "<p>Grain corridor talks resume.</p>", "language": "en"})
        assert status == 201
        assert (await baku.api("GET", f"/api/stories/{early['id']}"))[1]["factchecks"] == []
        status, check = await baku.api("POST", "/api/factchecks", FACTCHECK)
        assert status == 201, check
        [match] = (await baku.api("GET", f"/api/stories/{early['id']}"))[1]["factchecks"]
        assert (match["factcheck"], match["match"]["how"]) == (check["url"], "url")
        assert (await baku.api("GET", f"/api/stories/{other['id']}"))[1]["factchecks"] == []
