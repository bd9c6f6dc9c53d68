"""Tests for federation.sanitize: HTML allow-list, XSS vectors, text extraction, Markdown."""

from __future__ import annotations

import random
import re

import pytest

from federation.sanitize import html_to_text, markdown_to_html, render_body, sanitize_html

REL = 'rel="nofollow noopener noreferrer"'


def test_sanitize_html__keeps_allowed_markup():
    """Paragraphs, emphasis, lists, quotes, code, headings and hr survive."""
    html = (
        "<h2>Head</h2><p>a <strong>b</strong> <em>c</em> <u>d</u> <s>e</s> <del>f</del> <b>g</b> <i>h</i><br>"
        "</p><ul><li>x</li></ul><ol><li>y</li></ol><blockquote>q</blockquote><pre><code>z</code></pre><hr>"
    )
    out = sanitize_html(html)
    for tag in ("<h2>", "<strong>", "<em>", "<u>", "<s>", "<del>", "<b>", "<i>", "<br>", "<ul>", "<ol>",
                "<li>", "<blockquote>", "<pre>", "<code>", "<hr>"):
        assert tag in out, tag


def test_sanitize_html__links_get_rel_and_keep_class():
    """Links keep href and class and always carry rel=nofollow noopener noreferrer."""
    out = sanitize_html('<a href="https://remote.test/@a" class="u-url mention" rel="me" target="_blank">@a</a>')
    assert 'href="https://remote.test/@a"' in out
    assert 'class="u-url mention"' in out
    assert REL in out
    assert "target" not in out and 'rel="me"' not in out


def test_sanitize_html__mailto_allowed():
    """mailto: links are kept."""
    assert 'href="mailto:desk@agency.test"' in sanitize_html('<a href="mailto:desk@agency.test">mail</a>')


def test_sanitize_html__span_class_kept():
    """Mastodon's span classes (invisible, ellipsis, h-card) survive."""
    assert '<span class="invisible">' in sanitize_html('<span class="invisible">https://</span>')


@pytest.mark.parametrize(
    "html,forbidden",
    [
        ("<script>alert(1)</script>ok", ["<script", "alert"]),
        ('<img src=x onerror="alert(1)">ok', ["<img", "onerror", "alert"]),
        ('<a href="javascript:alert(1)">x</a>', ["javascript", "alert"]),
        ('<a href=" JaVaScRiPt:alert(1)">x</a>', ["avascript", "alert"]),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', ["data:"]),
        ('<a href="vbscript:msgbox(1)">x</a>', ["vbscript"]),
        ("<style>body{display:none}</style>ok", ["<style", "display"]),
        ('<p style="position:fixed">ok</p>', ["style", "fixed"]),
        ('<iframe src="https://evil.test"></iframe>ok', ["<iframe", "evil"]),
        ('<svg><script>alert(1)</script></svg>ok', ["<svg", "<script", "alert"]),
        ('<p onclick="alert(1)">ok</p>', ["onclick", "alert"]),
        ('<form action="https://evil.test"><input name=x></form>ok', ["<form", "<input"]),
        ("<!-- <script>alert(1)</script> -->ok", ["<!--", "alert"]),
        ('<object data="x"></object><embed src="y">ok', ["<object", "<embed"]),
    ],
)
def test_sanitize_html__xss_vectors_removed(html, forbidden):
    """Scripts, handlers, javascript:/data: URLs, styles, iframes and forms never survive."""
    out = sanitize_html(html)
    for needle in forbidden:
        assert needle not in out.lower(), (needle, out)


def test_sanitize_html__empty_and_text():
    """Empty input gives empty output; bare text is escaped, not interpreted."""
    assert sanitize_html("") == ""
    assert sanitize_html("1 < 2 & 3") == "1 &lt; 2 &amp; 3"


def test_html_to_text__strips_and_unescapes():
    """Tags go, entities are unescaped, blocks are separated, whitespace collapses."""
    html = "<p>Tom &amp; Jerry&nbsp;&#8212; <b>live</b></p>\n\n<p>second<br>line</p>"
    assert html_to_text(html) == "Tom & Jerry\u00a0\u2014 live second line".replace("\u00a0", " ")


def test_html_to_text__drops_script_and_style_content():
    """Script and style bodies are not text."""
    assert html_to_text("<p>a</p><script>alert(1)</script><style>p{}</style><p>b</p>") == "a b"


def test_html_to_text__escaped_markup_stays_text():
    """Escaped markup becomes literal text (the caller escapes it again for HTML)."""
    assert html_to_text("<p>&lt;script&gt;</p>") == "<script>"


def test_html_to_text__misskey_content():
    """Misskey's span-wrapped content reads as plain text."""
    html = '<p><a href="https://calckey.jp/@t" class="u-url mention">@t@calckey.jp</a><span> hello</span></p>'
    assert html_to_text(html) == "@t@calckey.jp hello"


def test_markdown_to_html__commonmark():
    """Headings, emphasis, lists and links render, and links get rel."""
    out = markdown_to_html("# Title\n\n*em* and **strong**\n\n- a\n- b\n\n[site](https://agency.test)")
    assert "<h1>Title</h1>" in out
    assert "<em>em</em>" in out and "<strong>strong</strong>" in out
    assert "<li>a</li>" in out
    assert 'href="https://agency.test"' in out and REL in out


@pytest.mark.parametrize(
    "text,forbidden",
    [
        ("<script>alert(1)</script>", "<script"),
        ("[x](javascript:alert(1))", "href=\"javascript"),
        ('<img src=x onerror="alert(1)">', "<img"),
        ("![pic](https://agency.test/a.png)", "<img"),
    ],
)
def test_markdown_to_html__raw_html_and_bad_links_neutralised(text, forbidden):
    """Raw HTML stays text, javascript: links never become hrefs, images are not allowed."""
    assert forbidden not in markdown_to_html(text)


def test_render_body__formats():
    """html and markdown both give sanitized HTML; other formats raise ValueError."""
    assert render_body("<p>x<script>y</script></p>", "html") == "<p>x</p>"
    assert render_body("*x*", "markdown") == "<p><em>x</em></p>\n"
    with pytest.raises(ValueError):
        render_body("x", "rst")


def _parsed(html: str) -> str:
    """What the HTML parser makes of `html`, whitespace collapsed: the reference both shortcuts must match."""
    from federation.sanitize import _TextExtractor

    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return re.sub(r"\s+", " ", "".join(parser.parts)).strip()


@pytest.mark.parametrize("text", ["Grain prices", "  two\n\tlines  ", "", "a > b", "\u00a0nbsp\u2003em space",
                                  "quote \"x\" and 'y'", "\r\n", "\x1c\x1fcontrol separators\x85"])
def test_html_to_text__plain_text_read_as_the_parser_reads_it(text):
    """Text without tags or entities comes back as the HTML parser would give it (the shortcut's promise)."""
    assert html_to_text(text) == _parsed(text)


_PIECES = ["<p>", "</p>", "<b>", "</b>", "<br>", "<br/>", "<br />", '<a href="x>y" class="u">', "</a>", "&amp;",
           "&lt;", "&#39;", "&am", "p;", "&", "<", ">", "words", " ", "\n", "<script>", "</script>", "x<y",
           "<!-- c -->", "<P>", "<hr>", "<li>", "é", "&nbsp;", '<span class="a b">', "</span>", "<img src=x>",
           "<div a='b'>", "</div >", "&#x41;", "&copy", "<?x?>", "<![CDATA[x]]>", "</", "<h1>", "<style>", "\u3000"]


def test_html_to_text__tagged_html_read_as_the_parser_reads_it():
    """HTML with tags (raw and sanitised, the plain-tag shortcut's case) comes back as the parser reads it."""
    rng = random.Random(13)
    body = sanitize_html("<p>Grain <b>prices</b> rose &amp; fell.</p><p><a href='https://x.test/?a=1&b=2'>x</a></p>")
    assert html_to_text(body) == _parsed(body) == "Grain prices rose & fell. x"
    for _ in range(3000):
        html = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 12)))
        for text in (html, sanitize_html(html)):
            assert html_to_text(text) == _parsed(text), text


def test_sanitize_html__the_built_cleaner_keeps_the_allow_list():
    """The cleaner built once cleans exactly as `nh3.clean` with the allow-list given on each call."""
    import nh3

    from federation.sanitize import _ATTRIBUTES, _DROP_WITH_CONTENT, _URL_SCHEMES, ALLOWED_TAGS, LINK_REL

    rng = random.Random(7)
    pieces = _PIECES + ['<a href="javascript:alert(1)">', '<a href="https://x.test" rel="me" target="_blank">',
                        '<img src="x" onerror="alert(1)">', "<iframe>", "<h2>", "<table><tr><td>", '<p style="x">']
    for _ in range(1000):
        html = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        assert sanitize_html(html) == nh3.clean(
            html, tags=set(ALLOWED_TAGS), clean_content_tags=set(_DROP_WITH_CONTENT),
            attributes={k: set(v) for k, v in _ATTRIBUTES.items()}, url_schemes=set(_URL_SCHEMES), link_rel=LINK_REL,
            strip_comments=True), html
