"""The IPTC Media Topics the desk offers in its picker (schemas/iptc/mediatopics.json): the 17 top-level topics and
their common second-level ones, with labels in the desk's languages."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

__all__ = ["label", "topic_tree", "topics"]

_FILE = Path(__file__).parent / "iptc" / "mediatopics.json"


@functools.cache
def topics() -> tuple[dict[str, Any], ...]:
    """Every bundled topic: ``{code: "medtop:...", parent: code | None, labels: {language: label}}``."""
    return tuple(json.loads(_FILE.read_text(encoding="utf-8"))["topics"])


def label(code: str, language: str) -> str:
    """A topic's label in `language` (its base language next, English last); the code when it is not bundled."""
    for topic in topics():
        if topic["code"] == code:
            labels = topic["labels"]
            return labels.get(language) or labels.get(language.split("-")[0]) or labels["en"]
    return code


def topic_tree(language: str) -> list[tuple[dict[str, str], list[dict[str, str]]]]:
    """The picker's tree in `language`: each top-level topic with its second-level ones, both as
    ``{code, label}``, in IPTC's order."""
    def named(t: dict[str, Any]) -> dict[str, str]:
        return {"code": t["code"], "label": label(t["code"], language)}
    tops = [t for t in topics() if not t["parent"]]
    return [(named(top), [named(t) for t in topics() if t["parent"] == top["code"]])
            for top in sorted(tops, key=lambda t: t["code"])]
