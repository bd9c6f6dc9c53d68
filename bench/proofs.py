"""Object proof costs: signing and verifying a story (eddsa-jcs-2022) against bare Ed25519 in the same process.

    .venv/bin/python bench/proofs.py            # about 15 s
    .venv/bin/python bench/proofs.py --quick    # about 3 s (tests/bench/test_proofs_smoke.py)

Every rate is CPU time of this thread (`time.thread_time`), not wall time, and each proof operation is timed in
short slices taken in turn with the bare Ed25519 operation it is compared with; the ratio printed is the median
of the slices' ratios. So other work on the machine (which stretches wall time and comes and goes) moves the
absolute figures but hardly the ratios. The breakdown rows say where the time beyond Ed25519 goes, and the
canonicalisation rows compare the alternatives (orjson's sorted dump, which `canonical` uses for documents it
can, and the pure-Python `rfc8785` package).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson  # noqa: E402
import rfc8785  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from federation.integrity import ProofSigner, canonical, hash_data, sign_document, verify_document  # noqa: E402
from federation.proofs import sign_activity  # noqa: E402
from federation.multikey import decode_multibase, ed25519_from_multibase, ed25519_to_multibase  # noqa: E402
from federation.multikey import encode_multibase  # noqa: E402

BODY = "<p>" + "The ferry line between Baku and Aktau reopens on Monday after a winter pause. " * 40 + "</p>"
STORY = {"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v1"],
         "id": "https://a.example/stories/1", "type": "Article", "attributedTo": "https://a.example/actors/a",
         "name": "Caspian ferry line reopens", "nameMap": {"az": "Caspian ferry line reopens"},
         "summary": "Crossings resume.", "content": BODY, "contentMap": {"az": BODY},
         "published": "2026-11-29T12:00:00Z", "to": ["https://www.w3.org/ns/activitystreams#Public"],
         "tag": [{"type": "Hashtag", "name": "#ferry"}]}
METHOD = "https://a.example/actors/a#k"
TARGET = 0.5


def cpu_rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per CPU second of this thread, over about `seconds` of its CPU time."""
    n, start = 0, time.thread_time()
    while (spent := time.thread_time() - start) < seconds:
        for _ in range(20):
            fn()
        n += 20
    return n / spent


def paired(fn: Callable[[], object], base: Callable[[], object], slices: int, seconds: float
           ) -> tuple[float, float, float]:
    """`fn` and `base` timed in turn, `slices` times each: (median rate of fn, of base, median of the ratios)."""
    rates, bases, ratios = [], [], []
    for _ in range(slices):
        r, b = cpu_rate(fn, seconds), cpu_rate(base, seconds)
        rates.append(r)
        bases.append(b)
        ratios.append(r / b)
    return statistics.median(rates), statistics.median(bases), statistics.median(ratios)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/proofs.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter slices (a few seconds)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    slices, seconds = (5, 0.1) if args.quick else (15, 0.25)
    load = os.getloadavg()
    print(f"Object proofs (eddsa-jcs-2022) vs bare Ed25519 ({'quick' if args.quick else 'full'}), "
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, load average before: "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    key = Ed25519PrivateKey.generate()
    pub = ed25519_from_multibase(ed25519_to_multibase(key.public_key()))  # as provenance loads it (cached)
    msg = b"x" * 64  # what eddsa-jcs-2022 signs: two SHA-256 digests
    sig = key.sign(msg)
    now = datetime.now(timezone.utc)
    signed = sign_document(STORY, key, verification_method=METHOD, created=now)
    proof = signed["proof"]
    size = len(canonical(STORY))

    sign_rate, base_sign, sign_ratio = paired(
        lambda: sign_document(STORY, key, verification_method=METHOD, created=now), lambda: key.sign(msg),
        slices, seconds)
    verify_rate, base_verify, verify_ratio = paired(
        lambda: verify_document(signed, pub, now=now), lambda: pub.verify(sig, msg), slices, seconds)

    # What the node does for each story it sends: the story signed, then the Create that embeds it.
    fed = SimpleNamespace(proof_signers={"a": ProofSigner(METHOD, key)},
                          urls=SimpleNamespace(base_url="https://a.example"))
    create = {"@context": STORY["@context"], "id": "https://a.example/activities/1", "type": "Create",
              "actor": "https://a.example/actors/a", "to": STORY["to"], "object": STORY}
    activity_rate, base_pair, activity_ratio = paired(
        lambda: sign_activity(fed, "a", create, now=now), lambda: (key.sign(msg), key.sign(msg)), slices, seconds)

    def us(fn: Callable[[], object]) -> float:
        return 1e6 / cpu_rate(fn, seconds * 2)

    parts = [
        ("hash data (JCS of config and document, two SHA-256)", us(lambda: hash_data(STORY, proof))),
        ("  canonicalise the story: orjson sorted dump (used)", us(lambda: canonical(STORY))),
        ("  canonicalise the story: rfc8785 package (alternative)", us(lambda: rfc8785.dumps(STORY))),
        ("  canonicalise the story: plain orjson dump (no sorting)", us(lambda: orjson.dumps(STORY))),
        ("proofValue: base58btc encode of 64 bytes", us(lambda: encode_multibase(sig))),
        ("proofValue: base58btc decode", us(lambda: decode_multibase(proof["proofValue"]))),
    ]
    rows = [
        (f"sign a story ({size:,} JCS bytes)", f"{sign_rate:,.0f}/s", f"{base_sign:,.0f}/s", f"{sign_ratio:.2f}",
         f">= {TARGET} {'met' if sign_ratio >= TARGET else 'MISSED'}"),
        ("verify a story", f"{verify_rate:,.0f}/s", f"{base_verify:,.0f}/s", f"{verify_ratio:.2f}",
         f">= {TARGET} {'met' if verify_ratio >= TARGET else 'MISSED'}"),
        ("sign a Create with its story embedded (two proofs, federation.proofs.sign_activity)",
         f"{activity_rate:,.0f}/s", f"{base_pair:,.0f}/s (two signatures)", f"{activity_ratio:.2f}", "informative"),
        ("beyond Ed25519, per signature", f"{1e6 / sign_rate - 1e6 / base_sign:.1f} us", "", "", "informative"),
        ("beyond Ed25519, per verification", f"{1e6 / verify_rate - 1e6 / base_verify:.1f} us", "", "",
         "informative"),
        *((what, f"{cost:.1f} us", "", "", "informative") for what, cost in parts),
    ]
    head = ("figure (CPU time of one thread)", "measured", "bare Ed25519, 64 B (same run)", "ratio", "target")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    for row in [head, tuple("-" * w for w in widths), *rows]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
    load = os.getloadavg()
    print(f"Ratios are medians of {slices} paired slices of {seconds} s CPU. "
          f"Load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.")
    missed = sign_ratio < TARGET or verify_ratio < TARGET
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
