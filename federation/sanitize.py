"""HTML sanitising and text rendering for story bodies and inbound content (pure, nh3).

The allow-list is close to what Mastodon keeps (paragraphs, line breaks, links, inline emphasis,
lists, quotes, code) plus headings and ``hr`` for stories; everything else is stripped to its text,
``script``/``style`` with their content. Links keep only http, https and mailto targets.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

import nh3

__all__ = ["ALLOWED_TAGS", "LINK_REL", "html_to_text", "markdown_to_html", "render_body", "sanitize_html"]

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "a", "span", "strong", "b", "em", "i", "u", "s", "del",
        "ul", "ol", "li", "blockquote", "code", "pre",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    }
)
LINK_REL = "nofollow noopener noreferrer"
# `rel` is not in the attribute allow-list on purpose: nh3 (ammonia) refuses a `rel` attribute
# allow-list together with `link_rel`, and `link_rel` replaces whatever rel the source had.
_ATTRIBUTES = {"a": {"href", "class"}, "span": {"class"}}
_URL_SCHEMES = {"http", "https", "mailto"}
_DROP_WITH_CONTENT = {"script", "style"}


def sanitize_html(html: str) -> str:
    """Sanitised HTML: allowed tags only, ``a[href, class]`` (http/https/mailto) with
    ``rel="nofollow noopener noreferrer"``, ``span[class]``, no script or style content."""
    return nh3.clean(
        html or "",
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={k: set(v) for k, v in _ATTRIBUTES.items()},
        url_schemes=set(_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


_BLOCK_TAGS = {
    "p", "br", "div", "li", "ul", "ol", "blockquote", "pre", "hr", "tr", "td", "th",
    "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer",
}
_WS = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in _DROP_WITH_CONTENT:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in _DROP_WITH_CONTENT:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: tags stripped (script/style with their content), block
    boundaries turned into spaces, entities unescaped, whitespace collapsed. The result is text,
    not HTML: escape it again before putting it into markup."""
    if not html or ("<" not in html and "&" not in html):
        # No tags and no entities (most headlines and summaries): the parser would hand the text back as it is.
        return _WS.sub(" ", html or "").strip()
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return _WS.sub(" ", "".join(parser.parts)).strip()


@functools.lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    # CommonMark with raw HTML disabled: an editor's "<script>" becomes text, never markup.
    return MarkdownIt("commonmark", {"html": False})


def markdown_to_html(text: str) -> str:
    """CommonMark rendered to HTML (raw HTML disabled), then sanitised."""
    return sanitize_html(_markdown().render(text or ""))


def render_body(text: str, fmt: str) -> str:
    """Sanitised HTML for a body written as ``"html"`` or ``"markdown"``; ValueError otherwise."""
    if fmt == "html":
        return sanitize_html(text)
    if fmt == "markdown":
        return markdown_to_html(text)
    raise ValueError(f"unknown body format {fmt!r} (expected 'html' or 'markdown')")
