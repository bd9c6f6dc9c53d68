"""Object proof costs: signing and verifying a story (eddsa-jcs-2022) against raw Ed25519 in the same process.

    .venv/bin/python bench/proofs.py

Prints operations per second and the ratio to a bare Ed25519 sign/verify of 64 bytes (the baseline), so the
share of RFC 8785 canonicalisation and hashing is visible.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from federation.integrity import canonical, sign_document, verify_document  # noqa: E402

BODY = "<p>" + "The ferry line between Baku and Aktau reopens on Monday after a winter pause. " * 40 + "</p>"
STORY = {"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v1"],
         "id": "https://a.example/stories/1", "type": "Article", "attributedTo": "https://a.example/actors/a",
         "name": "Caspian ferry line reopens", "nameMap": {"az": "Caspian ferry line reopens"},
         "summary": "Crossings resume.", "content": BODY, "contentMap": {"az": BODY},
         "published": "2026-11-29T12:00:00Z", "to": ["https://www.w3.org/ns/activitystreams#Public"],
         "tag": [{"type": "Hashtag", "name": "#ferry"}]}
METHOD = "https://a.example/actors/a#k"


def rate(fn, seconds: float = 1.0) -> float:
    """Calls per second of `fn` over about `seconds`."""
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


def main() -> None:
    key = Ed25519PrivateKey.generate()
    pub = key.public_key()
    msg = b"x" * 64
    sig = key.sign(msg)
    now = datetime.now(timezone.utc)
    signed = sign_document(STORY, key, verification_method=METHOD, created=now)
    base_sign = rate(lambda: key.sign(msg))
    base_verify = rate(lambda: pub.verify(sig, msg))
    jcs = rate(lambda: canonical(STORY))
    doc_sign = rate(lambda: sign_document(STORY, key, verification_method=METHOD, created=now))
    doc_verify = rate(lambda: verify_document(signed, pub, now=now))
    print(f"story size (JCS bytes):        {len(canonical(STORY))}")
    print(f"Ed25519 sign, 64 B (baseline): {base_sign:10.0f}/s")
    print(f"Ed25519 verify, 64 B:          {base_verify:10.0f}/s")
    print(f"RFC 8785 canonicalise story:   {jcs:10.0f}/s")
    print(f"sign story (eddsa-jcs-2022):   {doc_sign:10.0f}/s  ({doc_sign / base_sign:.2f} x baseline sign)")
    print(f"verify story:                  {doc_verify:10.0f}/s  ({doc_verify / base_verify:.2f} x baseline verify)")


if __name__ == "__main__":
    main()
