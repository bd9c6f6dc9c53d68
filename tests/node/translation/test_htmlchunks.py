"""Cutting bodies into engine-sized pieces at block and sentence boundaries, and joining them back."""

from __future__ import annotations

import pytest

from node.translation.htmlchunks import join, split_html, split_text


def _roundtrip(pieces):
    return join(pieces, [p.text for p in pieces if p.translate])


def test_split_html__short_body_is_one_piece():
    """A body under the limit goes as one piece, unchanged."""
    body = "<p>One.</p><p>Two.</p>"
    assert [p.text for p in split_html(body, 100) if p.translate] == [body]


def test_split_html__cuts_between_blocks_under_the_limit():
    """Blocks are grouped up to the limit; no piece cuts a block in two; join restores the body exactly."""
    blocks = [f"<p>Paragraph {i} has some words.</p>" for i in range(20)]
    body = "".join(blocks)
    pieces = split_html(body, 120)
    sent = [p.text for p in pieces if p.translate]
    assert len(sent) > 1 and all(len(s) <= 120 for s in sent)
    assert all(s.startswith("<p>") and s.endswith("</p>") for s in sent)
    assert _roundtrip(pieces) == body


def test_split_html__long_paragraph_cut_between_sentences_outside_inline_markup():
    """A paragraph over the limit is opened and cut at sentence ends, never inside <strong>...</strong>."""
    body = "<p>" + "First sentence here. " * 5 + "<strong>Bold. Still bold.</strong> " + "Tail end. " * 5 + "</p>"
    pieces = split_html(body, 50)
    sent = [p.text for p in pieces if p.translate]
    assert all("<p>" not in s for s in sent)
    assert any("<strong>Bold. Still bold.</strong>" in s for s in sent)
    assert _roundtrip(pieces) == body


def test_split_html__long_list_cut_between_items():
    """A list over the limit keeps its <ul> aside and groups its items."""
    body = "<ul>" + "".join(f"<li>Item number {i}</li>" for i in range(30)) + "</ul>"
    pieces = split_html(body, 80)
    assert pieces[0].text == "<ul>" and not pieces[0].translate and pieces[-1].text == "</ul>"
    assert all(p.text.startswith("<li>") for p in pieces if p.translate)
    assert _roundtrip(pieces) == body


def test_split_html__glue_is_not_sent():
    """An <hr> and whitespace between blocks are kept aside, not sent to the engine."""
    body = "<p>a</p>\n<hr>\n<p>b</p>"
    pieces = split_html(body, 9)
    assert [p.text for p in pieces if p.translate] == ["<p>a</p>\n", "<p>b</p>"]
    assert _roundtrip(pieces) == body


def test_split_text__sentences_then_spaces():
    """Plain text is cut between sentences, then at spaces when a sentence is too long."""
    pieces = split_text("Alpha beta. Gamma delta epsilon zeta. Eta.", 16)
    sent = [p.text for p in pieces if p.translate]
    assert sent[0] == "Alpha beta." and all(len(s) <= 16 for s in sent)
    assert _roundtrip(pieces) == "Alpha beta. Gamma delta epsilon zeta. Eta."


def test_join__counts_must_match():
    """Too many translations is an error, not silently dropped text."""
    with pytest.raises(ValueError):
        join(split_text("a", 10), ["x", "y"])
