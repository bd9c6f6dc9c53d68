"""Everything the federation I/O layer needs, built once by the application and passed in (never read from config)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from federation.fetch import Fetcher
from federation.hosts import ParkedHosts
from federation.inbox_store import InboxWriter
from federation.http import HttpClient, Signer
from federation.integrity import ProofSigner
from federation.listeners import InboxListeners
from federation.observe import Observer
from federation.policy import TrustPolicy
from federation.queue import ClaimPolicy
from federation.retry import RetryPolicy
from federation.vocab import LocalUrls
from schemas.provenance import TranslationPolicy


@dataclass(frozen=True)
class LocalActor:
    """A local actor that can be followed: its username and follow policy."""

    username: str
    manually_approves_followers: bool = False
    language: str = ""  # set for a language channel actor: the one language it publishes in


@dataclass
class Federation:
    """The wiring of one node: URLs, HTTP client, caches, signers, policies and worker wake-ups."""

    urls: LocalUrls
    http: HttpClient
    fetcher: Fetcher
    signers: dict[str, Signer]
    local_actors: dict[str, LocalActor]
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    signature_max_age: timedelta = timedelta(hours=1)
    delivery_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    inbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Object integrity proofs (FEP-8b32): the Ed25519 signer of each local actor that signs what it sends.
    proof_signers: dict[str, ProofSigner] = field(default_factory=dict)
    trust: TrustPolicy = field(default_factory=TrustPolicy)
    translation_policy: TranslationPolicy = field(default_factory=TranslationPolicy)
    parked: ParkedHosts = field(default_factory=ParkedHosts)
    inbox_writer: InboxWriter = field(default_factory=InboxWriter)
    # What inbound activities mean to the application (it registers them; `federation.listeners`).
    listeners: InboxListeners = field(default_factory=InboxListeners)
    # Told of delivery outcomes and inbox verdicts (the application's metrics; `federation.observe`).
    observer: Observer = field(default_factory=Observer)
    # This process's owner id on the queue rows it claims, and how claims are held and taken back.
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    delivery_claims: ClaimPolicy = field(default_factory=ClaimPolicy)
    inbox_claims: ClaimPolicy = field(default_factory=ClaimPolicy)
    # Two-stage fan-out (`federation.expansion`): followers per batch, and the most an activity for all
    # followers may have for its rows to be written while publishing rather than by a job.
    fanout_batch: int = 500

    def local_username(self, actor_uri: str) -> str | None:
        """The local username an actor URI names, or None when it is not one of ours."""
        for username in self.local_actors:
            if self.urls.actor(username) == actor_uri:
                return username
        return None
