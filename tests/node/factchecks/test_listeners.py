"""Reading a received fact-check: the verdict (our code or the rating's plain words), and what is refused."""

from __future__ import annotations

import pytest

from federation.listeners import Ignored
from node.factchecks.listeners import _fields, is_factcheck, verdict_of


def _article(review: dict) -> dict:
    return {"id": "https://baku.example/factchecks/1", "type": "Article", "name": "Fact-check: False.",
            "content": "<p>x</p><script>alert(1)</script>", "claimReview": review}


def test_verdict_of__code_rating_code_or_plain_words():
    """Our code, the rating's code, or a peer's plain-word alternateName all give the verdict; nothing else."""
    assert verdict_of({"verdict": "misleading"}) == "misleading"
    assert verdict_of({"reviewRating": {"verdict": "true"}}) == "true"
    assert verdict_of({"reviewRating": {"alternateName": "Missing context"}}) == "missing-context"
    for review in ({}, {"verdict": "pants-on-fire"}, {"reviewRating": {"alternateName": "Mostly false"}}):
        with pytest.raises(Ignored, match="unknown verdict"):
            verdict_of(review)


def test_fields__claim_required_html_sanitized_languages_kept():
    """A review without a claim is refused; the content is sanitized; claim URLs and languages are read."""
    assert is_factcheck(_article({})) and not is_factcheck({"type": "Article", "name": "a story"})
    with pytest.raises(Ignored, match="without a claim"):
        _fields(_article({"verdict": "false", "claimReviewed": "  "}))
    values = _fields(_article({
        "verdict": "false", "claimReviewed": "The sea rose three metres",
        "claimMap": {"en": "The sea rose three metres", "ru": "Море поднялось на три метра"},
        "itemReviewed": {"type": "Claim", "inLanguage": "en",
                         "appearance": [{"type": "CreativeWork", "url": "https://rumours.example/p/1"}]}}))
    assert values["verdict"] == "false" and values["claim_urls"] == ["https://rumours.example/p/1"]
    assert set(values["claims"]) == {"en", "ru"} and "<script>" not in values["object"]["content"]
