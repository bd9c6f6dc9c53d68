"""The desk's message catalogues: extract the messages from the templates and code, merge them into each
language's `desk.po`, and check that every catalogue is complete.

    python -m node.desk.catalogues update   # after changing the desk's text: new msgids reach every .po
    python -m node.desk.catalogues check    # what CI checks: no missing, empty, fuzzy or malformed entry
    python -m node.desk.catalogues fill F.json   # translations {msgid: {"az": ..., "ru": ...}} into the .po files
    python -m node.desk.catalogues pending       # update, then fill and remove every locale/pending/*.json
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from node.desk.i18n import DESK_LOCALES, DOMAIN, LOCALE_DIR

__all__ = ["check", "extract", "fill", "update"]

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
_METHODS = [("node/desk/**.py", "python"), ("node/desk/templates/**.html", "jinja2")]


def extract() -> Catalog:
    """Every message of the desk, with where it is used."""
    catalog = Catalog(domain=DOMAIN, project="agency-node", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map=_METHODS, keywords=KEYWORDS, comment_tags=("Translators:",),
            strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _po_path(tag: str) -> Path:
    return LOCALE_DIR / tag.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"


def update() -> list[Path]:
    """Merge the extracted messages into each non-English catalogue (new ones empty, vanished ones dropped)."""
    template = extract()
    written = []
    for tag in DESK_LOCALES:
        if tag == "en":
            continue
        path = _po_path(tag)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=tag.replace("-", "_"), domain=DOMAIN)
        else:
            catalog = Catalog(locale=tag.replace("-", "_"), domain=DOMAIN, project="agency-node")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False  # the header: catalogues here are edited by people and checked by `check`
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=116, omit_header=False, sort_output=True)
        written.append(path)
    return written


def fill(translations: dict[str, dict[str, str]]) -> int:
    """Write translations ({msgid: {language tag: text}}) into the catalogues; returns how many were set. Unknown
    msgids are refused (run `update` first), so a typo cannot hide a missing translation."""
    count = 0
    for tag in DESK_LOCALES:
        if tag == "en":
            continue
        path = _po_path(tag)
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=tag.replace("-", "_"), domain=DOMAIN)
        for msgid, texts in translations.items():
            if tag not in texts:
                continue
            message = catalog.get(msgid)
            if message is None:
                raise KeyError(f"{msgid!r} is not in {path.name} for {tag}: run `update` first")
            text = texts[tag]
            message.string = tuple(text) if isinstance(text, list) else text  # a list: the plural forms
            message.flags.discard("fuzzy")
            count += 1
        with path.open("wb") as fh:
            write_po(fh, catalog, width=116, sort_output=True)
    return count


def check() -> dict[str, list[str]]:
    """Problems per language: messages missing from its catalogue, untranslated, fuzzy, or whose placeholders
    differ from the original's. Empty lists everywhere: the catalogues are complete."""
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in extract() if m.id}
    problems: dict[str, list[str]] = {}
    for tag in DESK_LOCALES:
        if tag == "en":
            continue
        found: list[str] = []
        path = _po_path(tag)
        if not path.exists():
            problems[tag] = [f"no catalogue at {path}"]
            continue
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=tag.replace("-", "_"), domain=DOMAIN)
        have = {}
        for message in catalog:
            if message.id:
                have[message.id if isinstance(message.id, str) else message.id[0]] = message
        for msgid in sorted(wanted):
            message = have.get(msgid)
            if message is None:
                found.append(f"missing: {msgid!r}")
            elif message.fuzzy:
                found.append(f"fuzzy: {msgid!r}")
            elif not message.string or (isinstance(message.string, tuple) and not all(message.string)):
                found.append(f"untranslated: {msgid!r}")
        for message, errors in catalog.check():
            found.extend(f"malformed {message.id!r}: {e}" for e in errors)
        problems[tag] = found
    return problems


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        for path in update():
            print(f"updated {path.relative_to(ROOT)}")
        return 0
    if command == "fill" and len(argv) == 2:
        import json  # noqa: PLC0415 - only this command reads JSON
        print(f"{fill(json.loads(Path(argv[1]).read_text(encoding='utf-8')))} translation(s) written")
        return 0
    if command == "pending":
        import json  # noqa: PLC0415 - only this command reads JSON
        update()
        merged: dict[str, dict[str, str]] = {}
        files = sorted((LOCALE_DIR / "pending").glob("*.json"))
        for path in files:
            for msgid, texts in json.loads(path.read_text(encoding="utf-8")).items():
                merged.setdefault(msgid, {}).update(texts)
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in extract() if m.id}
        stale = sorted(set(merged) - wanted)
        count = fill({k: v for k, v in merged.items() if k in wanted})
        for path in files:
            path.unlink()
        print(f"{count} translation(s) from {len(files)} file(s); {len(stale)} no longer used"
              + "".join(f"\n  unused: {m!r}" for m in stale[:20]))
        return 0
    if command == "check":
        problems = check()
        bad = 0
        for tag, found in problems.items():
            for line in found:
                print(f"{tag}: {line}")
            bad += len(found)
        print(f"{bad} problem(s) in {len(problems)} catalogue(s)")
        return 1 if bad else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
