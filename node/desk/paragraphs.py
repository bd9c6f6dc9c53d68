"""Sanitized HTML as plain-text paragraphs (for quoting a wire story and for revision diffs)."""

from __future__ import annotations

import re

from federation.sanitize import html_to_text

__all__ = ["paragraphs"]

# Block ends: where a paragraph stops in the sanitized HTML our stories and the wire carry.
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|blockquote|pre)>|<br\s*/?>|<hr\s*/?>", re.IGNORECASE)


def paragraphs(html: str) -> list[str]:
    """The text of each block of `html`, in order, empty ones dropped (text, not HTML: escape it to show)."""
    return [text for part in _BLOCK_END.split(html or "") if (text := html_to_text(part))]
