"""`agency-node media add|list|show` in a process of its own, on a node made by `agency-node init`."""

from __future__ import annotations

import hashlib
import json

from tests.node.media import photos
from tests.node.media.test_stock_api import png
from tests.node.test_cli import cli, initialised  # noqa: F401 (fixture)


def test_cli_media__add_list_show_and_progress_for_a_large_file(initialised):  # noqa: F811
    folder, _, _ = initialised
    photo = folder / "ferry.jpg"  # a PNG by its bytes
    photo.write_bytes(png())
    res = cli("media", "add", str(photo), "--alt", "Aktau bərəsi", "--credit", "Baku News / R. Aliyev",
              "--source-type", "digitalCapture", cwd=folder)
    assert res.returncode == 0, res.stderr
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    first, *details = res.stdout.splitlines()
    assert first.startswith("added image image/png") and first.endswith(f"/media/{sha}")
    assert details[0].strip() == "3 x 2 px"
    assert [d.split(":")[0].strip() for d in details[1:]] == ["thumb.jpg", "thumb.webp", "web.jpg", "web.webp"]
    assert (folder / "media" / sha[:2] / sha[2:4] / sha).read_bytes() == photo.read_bytes()

    big = folder / "report.pdf"  # 9 MiB: shows a progress line on stderr
    big.write_bytes(b"%PDF-1.7\n" + b"0" * (9 * 1024 * 1024))
    res = cli("media", "add", str(big), "--caption", "Hesabat", "--language", "az", cwd=folder)
    assert res.returncode == 0, res.stderr
    assert "report.pdf: 9.0 of 9.0 MiB (100%)" in res.stderr

    res = cli("media", "list", "--json", cwd=folder)
    rows = json.loads(res.stdout)
    assert [(r["kind"], r["media_type"]) for r in rows] == [("document", "application/pdf"), ("image", "image/png")]
    res = cli("media", "show", sha, cwd=folder)
    shown = json.loads(res.stdout)
    assert shown["alt"] == {"az": "Aktau bərəsi"} and shown["credit"] == "Baku News / R. Aliyev"
    assert shown["c2pa"]["verdict"] == "none" and shown["c2pa_verdict"] == "C2PA: no manifest"


def test_cli_media__refusals_are_one_plain_line_and_nothing_is_stored(initialised):  # noqa: F811
    folder, _, _ = initialised
    page = folder / "photo.jpg"
    page.write_text("<html><body><script>alert(1)</script></body></html>")
    res = cli("media", "add", str(page), cwd=folder)
    assert res.returncode == 1 and res.stderr.startswith("agency-node media: ") and "photo.jpg" in res.stderr
    res = cli("media", "add", str(folder / "missing.png"), cwd=folder)
    assert res.returncode == 1 and "no such file" in res.stderr
    res = cli("media", "add", str(page), "--source-type", "invented", cwd=folder)
    assert res.returncode == 1 and "--source-type" in res.stderr
    res = cli("media", "show", "0" * 64, cwd=folder)
    assert res.returncode == 1 and "no media item" in res.stderr
    assert not [p for p in (folder / "media").rglob("*") if p.is_file()]


def test_cli_media__add_says_what_was_removed_from_a_photo(initialised):  # noqa: F811
    """The command names the location and serial numbers it took out, and the derivatives it made."""
    folder, _, _ = initialised
    photo = folder / "dawn.jpg"
    photo.write_bytes(photos.jpeg())
    res = cli("media", "add", str(photo), "--alt", "Ferry at dawn", cwd=folder)
    assert res.returncode == 0, res.stderr
    assert ("  removed: GPS location, camera owner's name, camera serial number, lens serial number"
            in res.stdout.splitlines())
    assert "thumb.webp: 64 x 48 px" in res.stdout and "web.jpg: 64 x 48 px" in res.stdout
    stored = [p.read_bytes() for p in (folder / "media").rglob("*") if p.is_file()]
    # The cleaned photo and one WebP and one JPEG: a small photo's thumb and web sizes are the same file.
    assert len(stored) == 3 and not any(photos.SERIAL.encode() in data for data in stored)


def test_cli_media__a_signing_node_signs_added_photos_and_a_missing_key_file_is_named(initialised):  # noqa: F811
    """With c2pa keys in node.toml (paths relative to it) `media add` stores a signed photo and `media show` says
    valid and trusted in words; a key file that is not there stops the command with one line naming the key."""
    from tests.node.media.test_c2pa import AGENCY, jpeg, make_pki

    folder, _, _ = initialised
    make_pki(folder / "pki")
    config = folder / "node.toml"
    plain = config.read_text(encoding="utf-8")
    config.write_text(plain + '\n[media]\nc2pa_cert_chain = "pki/chain.pem"\nc2pa_private_key = "pki/key.pem"\n'
                      'c2pa_trust_anchors = "pki/ca.pem"\n', encoding="utf-8")
    photo = folder / "ferry.jpg"
    photo.write_bytes(jpeg())
    res = cli("media", "add", str(photo), "--alt", "Ferry", "--source-type", "digitalCapture", "--json", cwd=folder)
    assert res.returncode == 0, res.stderr
    added = json.loads(res.stdout)
    assert added["id"] != hashlib.sha256(photo.read_bytes()).hexdigest()
    shown = json.loads(cli("media", "show", added["id"], cwd=folder).stdout)
    assert shown["c2pa_verdict"].startswith(f"C2PA: valid and trusted, signed by {AGENCY}")

    (folder / "pki" / "key.pem").unlink()
    res = cli("media", "list", cwd=folder)
    assert res.returncode == 1 and "media.c2pa_private_key: no such file" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
