"""The ActivityPub engine: signed HTTP, keys and proofs, WebFinger and fetching, the inbox, the delivery queue and
its workers, and the protocol's own tables. It never imports the application (`node`).

An application builds one `Federation` (its URLs, HTTP client, signers, policies), registers what activities mean
to it with `InboxListeners`, hands inbox POSTs to `receive`, queues what it publishes with `enqueue` /
`send_activity`, and runs an `InboxWorker` and a `DeliveryWorker`. The engine's tables (`RemoteActor`, `Follower`,
`Following`, `OutboxActivity`, `Delivery`, `HostHealth`, `InboxItem`) go into the application's tortoise config with
`tortoise_app`. Modules not named here (vocab helpers, signature internals) may be imported directly; the names
below are the ones an application is meant to build on.

The names are loaded on first use, so `import federation.vocab` stays as cheap as that one module.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# public name -> the module that defines it
_EXPORTS = {
    # wiring and the application's hooks
    "Federation": "federation.context", "LocalActor": "federation.context",
    "InboxListeners": "federation.listeners", "Listener": "federation.listeners", "Ignored": "federation.listeners",
    "Observer": "federation.observe",
    "declare": "federation.states",
    # inbound: verify and store, then process
    "receive": "federation.inbox", "InboxWorker": "federation.worker",
    # outbound: queue and deliver
    "enqueue": "federation.outbox", "send_activity": "federation.outbox", "follower_inboxes": "federation.outbox",
    "new_uuid": "federation.outbox", "DeliveryWorker": "federation.delivery",
    "DeliveryState": "federation.states", "InboxState": "federation.states",
    # HTTP, fetching, discovery and the policies that bound them
    "HttpClient": "federation.http", "HttpPolicy": "federation.http", "Signer": "federation.http",
    "Fetcher": "federation.fetch", "resolve_handle": "federation.webfinger",
    "TrustPolicy": "federation.policy", "RetryPolicy": "federation.retry",
    "LocalUrls": "federation.vocab",
    # object proofs (FEP-8b32, eddsa-jcs-2022) and where a story came from
    "ProofSigner": "federation.integrity", "sign_document": "federation.integrity",
    "verify_document": "federation.integrity", "ProofVerdict": "federation.provenance",
    # untrusted HTML
    "sanitize_html": "federation.sanitize", "html_to_text": "federation.sanitize",
    # errors
    "FederationError": "federation.errors", "FetchError": "federation.errors", "ObjectGone": "federation.errors",
    "PrivateAddressError": "federation.errors",
    # storage
    "tortoise_app": "federation.store", "RemoteActor": "federation.store", "Follower": "federation.store",
    "Following": "federation.store", "OutboxActivity": "federation.store", "Delivery": "federation.store",
    "HostHealth": "federation.store", "InboxItem": "federation.store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'federation' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
