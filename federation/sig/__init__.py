"""HTTP signatures, the two specs peers use: draft-cavage (`cavage`, also the inbound entry point
`inspect_request`, which hands RFC 9421 requests to `rfc9421`) and RFC 9421 (`rfc9421`). Pure code."""

from federation.sig.cavage import PendingSignature, body_digest, inspect_request, parse_signature_header, sign_request
from federation.sig.rfc9421 import sign_request_rfc9421

__all__ = ["PendingSignature", "body_digest", "inspect_request", "parse_signature_header", "sign_request",
           "sign_request_rfc9421"]
