"""One running node: its database context, keys, HTTP client, federation wiring and workers.

Several nodes can live in one process (the demo, the tests): every entry point runs its work inside
`Node.run(...)` or sets the node's database with `node.db.activate`, so each node talks to its own database.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import logging
from datetime import timedelta
from typing import Any, Awaitable, Callable, TypeVar

from federation.context import Federation, LocalActor
from federation.delivery import DeliveryWorker
from federation.fetch import Fetcher
from federation.http import HttpClient, HttpPolicy, Signer
from federation.keys import generate_rsa_pem, load_private_key
from federation.queue import ClaimPolicy
from federation.retry import RetryPolicy
from federation.vocab import INSTANCE_ACTOR, LocalUrls
from federation.worker import InboxWorker
from node import __version__
from node.config import Config
from node.events import EventHub
from node.notify import CHANNELS, QueueListener, connect_args
from node.wire import changes as wire_changes
from node.db import activate, open_context
from node.inbox import register as register_listeners
from node.media.fetch_worker import MediaFetchWorker, fetch_limits
from node.media.credentials import Credentials, load_credentials
from node.media.storage import LocalStore
from node.stories.embargo import EmbargoScheduler
from node.translation.machine import MachineTranslation
from node.identity.models import ActorKey, ProofKey
from node.stories.models import Story
from node.identity.proofkeys import ensure_proof_keys, load_proof_keys, proof_signer
from node.factchecks import channel as factcheck_channel, story_matches
from node.stories.documents import channel_username
from node.translation.jobs import (
    TranslationWorker, default_sink, install_request_hook, queue_jobs, remove_request_hook,
)
from node.network.trust import build_policy
from schemas.languages import normalize_tag
from schemas.provenance import TranslationPolicy

log = logging.getLogger("agency_node")
T = TypeVar("T")

# How often a running node looks for keys rotated by another process (`agency-node keys rotate`).
KEY_WATCH_SECONDS = 10.0


def claim_report() -> list[str]:
    """One line per queue this process claimed from: what its claims cost (`federation.claims.CLAIMS`)."""
    from federation.claims import CLAIMS

    return [f"claims {table}: statements={c.statements} claims={c.claims} rows={c.rows} empty={c.empty} "
            f"seconds={c.seconds:.3f}" for table, c in sorted(CLAIMS.items()) if c.statements]


# Allocations between two young-generation collections (Python's default: 700). A delivery makes a few hundred
# short-lived objects (request, response, futures, a task): at 700 the collector ran about every second delivery
# and cost 0.04-0.05 ms per delivery in an in-process fan-out; at 2,000, 0.02-0.035 ms.
_YOUNG_COLLECTION_EVERY = 2000


def freeze_startup_heap() -> None:
    """Put what start-up built (modules, the app, models, keys, config) out of the garbage collector's sight, and
    collect the young generation less often.

    A long-running process never frees these, yet every full collection walks them all (about 110,000 objects):
    in a fan-out, whose requests make many short-lived objects, that was a few percent of the CPU per delivery.
    Called once the node has started, before it serves (Python's advice for a process that has finished
    loading: `gc.freeze`)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(_YOUNG_COLLECTION_EVERY, older, oldest)


async def ensure_keys(usernames: list[str]) -> dict[str, ActorKey]:
    """The stored key pair of each local actor, generating (once, ever) the ones that are missing."""
    keys = {k.actor: k for k in await ActorKey.filter(actor__in=usernames)}
    for name in usernames:
        if name not in keys:
            private_pem, public_pem = await asyncio.to_thread(generate_rsa_pem)
            keys[name], _ = await ActorKey.get_or_create(
                actor=name, defaults={"private_key_pem": private_pem, "public_key_pem": public_pem})
            log.info("keys.generated", extra={"actor": name})
    return keys


class Node:
    """A node's live parts. `start()` opens them; `stop()` closes them; `run()` executes in its database."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.urls = LocalUrls(config.base_url)
        self.media_store = LocalStore(config.media.get("dir") or "media")
        self.c2pa_credentials: Credentials | None = None  # [media] c2pa_*, read and checked by start()
        self.db: Any = None
        self.fed: Federation | None = None
        self.keys: dict[str, ActorKey] = {}
        self.proof_keys: dict[str, list[ProofKey]] = {}
        self.delivery_worker: DeliveryWorker | None = None
        self.inbox_worker: InboxWorker | None = None
        self.scheduler: EmbargoScheduler | None = None
        self.translation: MachineTranslation | None = None  # None: no engine configured (human translation only)
        self.translation_worker: TranslationWorker | None = None
        self.media_fetcher: MediaFetchWorker | None = None  # partners' media into our stock
        self.listener: QueueListener | None = None  # PostgreSQL: wakes this process's workers (node/notify.py)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._keys_seen = 0  # the key generation the signers were loaded from (check_keys)
        self._http: HttpClient | None = None
        self.events = EventHub()  # what happens here, told at once to the desk's live pages

    @property
    def agency(self) -> str:
        return self.config.agency.handle

    async def start(self) -> None:
        """Open the database (already migrated), load or create keys, build the federation wiring.

        If any step fails, what was opened is closed again before the error goes up: an open aiosqlite connection
        keeps a thread alive, and a command that failed would otherwise never exit.
        """
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        # Machine translation first: a bad glossary file is a ConfigError before anything is opened.
        self.translation = await MachineTranslation.from_config(self.config)
        # C2PA certificate, key and trust anchors: a missing or unusable file is a ConfigError naming the key.
        self.c2pa_credentials = await asyncio.to_thread(load_credentials, self.config)
        # CLDR's tables behind language tags load now (about 0.3 s), not during the first story published.
        await asyncio.to_thread(normalize_tag, "en")
        self.db = await open_context(self.config.database_url)
        fed_cfg, dcfg = self.config.federation, self.config.delivery
        channels = {channel_username(self.agency, lang): lang for lang in self.config.channel_languages}
        if self.config.factchecks.get("channel"):  # node/factchecks/channel.py: an actor like a language channel's
            channels[factcheck_channel.channel_username(self.agency)] = ""
        self.keys = await ensure_keys([self.agency, INSTANCE_ACTOR, *channels])
        policy = HttpPolicy(
            user_agent=f"agency-node/{__version__} (+{self.config.base_url})",
            timeout=float(fed_cfg["fetch_timeout_seconds"]),
            max_response_bytes=int(fed_cfg["max_response_bytes"]),
            allow_private=bool(fed_cfg["allow_private_addresses"]),
            allowed_networks=tuple(fed_cfg["allowed_private_networks"]),
        )
        http = HttpClient(policy, signing_threads=int(dcfg["signing_threads"]))
        await http.start()
        self._http = http
        signers = {name: Signer(self.urls.key_id(name), load_private_key(k.private_key_pem))
                   for name, k in self.keys.items()}
        fetcher = Fetcher(http, signers[INSTANCE_ACTOR], key_ttl=float(fed_cfg["key_cache_ttl_seconds"]))
        self.fed = Federation(
            urls=self.urls, http=http, fetcher=fetcher, signers=signers,
            local_actors={self.agency: LocalActor(self.agency, self.config.agency.manually_approves_followers),
                          **{name: LocalActor(name, language=lang) for name, lang in channels.items()}},
            retry=RetryPolicy(base_delay=float(dcfg["base_delay_seconds"]),
                              max_delay=float(dcfg["max_delay_seconds"]),
                              give_up_after=float(dcfg["give_up_after_hours"]) * 3600,
                              park_after_failures=int(dcfg["park_after_failures"])),
            signature_max_age=timedelta(seconds=int(fed_cfg["signature_max_age_seconds"])),
            trust=build_policy(self.config),
            translation_policy=TranslationPolicy(
                review_machine=bool(self.config.translation.get("review_machine", True)),
                max_body_chars=int(self.config.translation.get("max_body_chars", 500_000)),
                accept_offers=bool(self.config.translation.get("accept_offers", True))),
        )
        # Whose claims are whose: SQLite serves one worker process, so a node starting on it knows that the rows
        # held by another run id are a dead predecessor's and takes them back at once.
        single = self.config.database_url.startswith("sqlite")
        beat = dict(heartbeat_seconds=float(dcfg["heartbeat_seconds"]),
                    stale_seconds=float(dcfg["stale_claim_seconds"]), take_back_at_start=single)
        self.fed.delivery_claims = ClaimPolicy(lock_seconds=float(dcfg["lock_seconds"]), **beat)
        self.fed.inbox_claims = ClaimPolicy(lock_seconds=float(dcfg["inbox_lock_seconds"]), **beat)
        self.fed.fanout_batch = int(dcfg["fanout_batch"])
        register_listeners(self.fed.listeners)
        wire_changes.on_change(self.fed, self._wire_changed)
        # Language channels sign their posts too (FEP-8b32), each with its own Ed25519 key.
        self.proof_keys = await ensure_proof_keys(self.urls, [self.agency, *channels])
        await self.reload_keys()
        self.delivery_worker = DeliveryWorker(self.fed, concurrency=int(dcfg["concurrency"]),
                                              per_host=int(dcfg["per_host_concurrency"]),
                                              timeout=float(dcfg["timeout_seconds"]))
        self.inbox_worker = InboxWorker(self.fed)
        self.scheduler = EmbargoScheduler(self.fed, self.agency)
        if self.translation is not None:
            self.translation_worker = TranslationWorker(self.fed, self.agency, self.translation, default_sink())
            self.translation_worker.take_back_at_start = single
        install_request_hook(self.fed, self.translation, self.translation_worker)
        self.media_fetcher = MediaFetchWorker(http, self.media_store, fetch_limits(self.config.media), self.fed.retry,
                                              credentials=self.c2pa_credentials)
        self.media_fetcher.take_back_at_start = single

    def _wire_changed(self, kind: str, story: Any) -> None:
        # Ids only: each listener reads what it shows from the database (the truth after a reconnect, too).
        self.events.publish(f"wire.{kind}", {"story": story.id, "thread": story.thread})

    @property
    def story_hooks(self) -> list[Callable[[Story, Any], Awaitable[None]]]:
        """What publishing and updating a story must also do, in the same transaction."""
        # The fact-checks the story matches are kept with it (node/factchecks/story_matches.py).
        return [self._keep_factcheck_matches, *([self._queue_translations] if self.translation is not None else [])]

    async def _keep_factcheck_matches(self, story: Story, connection: Any) -> None:
        await story_matches.keep(self.urls, story, connection)

    async def _queue_translations(self, story: Story, connection: Any) -> None:
        assert self.translation is not None
        if await queue_jobs(story, self.translation.settings.targets, connection=connection) and \
                self.translation_worker is not None:
            self.translation_worker.wakeup.set()

    async def reload_keys(self) -> None:
        """Load the stored keys into the signers (after a rotation, or at start)."""
        assert self.fed is not None
        self._keys_seen = await self._key_generation()
        names = list(self.keys)
        self.keys = {k.actor: k for k in await ActorKey.filter(actor__in=names)}
        for name, key in self.keys.items():
            self.fed.signers[name] = Signer(self.urls.key_id(name), load_private_key(key.private_key_pem))
        self.proof_keys = await load_proof_keys([n for n in self.keys if n != INSTANCE_ACTOR])
        for name, keys in self.proof_keys.items():
            signer = proof_signer(keys)
            if signer is not None:
                self.fed.proof_signers[name] = signer

    def start_workers(self) -> None:
        """Run the delivery and inbox workers (and the key watch) in the background until `stop()`."""
        assert self.delivery_worker and self.inbox_worker and self.scheduler
        self.start_key_watch()
        # Idle workers are woken when rows are queued (in-process, and on PostgreSQL by the listener below); the
        # poll only finds retries coming due, and anything a lost wake-up missed.
        poll = float(self.config.delivery["idle_poll_seconds"])
        self._tasks += [
            self._spawn(self.delivery_worker.run_forever, self._stop, poll),
            self._spawn(self.inbox_worker.run_forever, self._stop, poll),
            self._spawn(self.scheduler.run_forever, self._stop),
        ]
        if self.media_fetcher is not None:
            self._tasks.append(self._spawn(self.media_fetcher.run_forever, self._stop, poll))
        if self.translation_worker is not None:
            self._tasks.append(self._spawn(self.translation_worker.run_forever, self._stop, poll))
        if not self.config.database_url.startswith("sqlite"):
            self.listener = self._queue_listener()
            self._tasks.append(self._spawn(self.listener.run, self._stop))

    def _queue_listener(self) -> QueueListener:
        """A LISTEN on every queue's channel that wakes this process's worker for it: on PostgreSQL the rows may be
        queued by any process (a web-only one, `agency-node publish`), whose in-process wake-up never reaches here."""
        assert self.fed is not None
        assert self.scheduler is not None
        events = {"delivery": self.fed.delivery_wakeup, "inbox": self.fed.inbox_wakeup,
                  "embargo": self.scheduler.wakeup}
        if self.translation_worker is not None:
            events["translation"] = self.translation_worker.wakeup
        if self.media_fetcher is not None:
            events["media"] = self.media_fetcher.wakeup
        return QueueListener(connect_args(self.config.database_url),
                             {CHANNELS[name]: event.set for name, event in events.items()})

    def start_key_watch(self) -> None:
        """Follow key rotations made by other processes until `stop()` (see `check_keys`)."""
        self._tasks.append(self._spawn(self._watch_keys, self._stop))

    @property
    def key_generation(self) -> int:
        """Changes whenever the keys are reloaded after a rotation (part of cached documents' keys)."""
        return self._keys_seen

    async def _key_generation(self) -> int:
        # A rotation adds proof_key rows (the new Ed25519 key, the retired RSA key): the newest id moves.
        newest = await ProofKey.all().order_by("-id").first().values_list("id", flat=True)
        return int(newest or 0)

    async def check_keys(self) -> bool:
        """Reload the signers and key lists if the keys changed since the last look; True when they did.

        `agency-node keys rotate` runs in a process of its own: without this, a running node would go on signing
        with the retired keys (and serving them in its actor document) until restarted.
        """
        generation = await self._key_generation()
        if generation == self._keys_seen:
            return False
        await self.reload_keys()
        return True

    async def _watch_keys(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), KEY_WATCH_SECONDS)
                return
            except TimeoutError:
                pass
            try:
                if await self.check_keys():
                    log.info("keys.reloaded", extra={"actor": self.agency})
            except Exception:  # a database hiccup: look again next time
                log.exception("keys.check_failed")

    def running_workers(self) -> int:
        """How many background tasks (workers, key watch) run now (0 in a process that runs none)."""
        return sum(1 for task in self._tasks if not task.done())

    def dead_workers(self) -> list[str]:
        """The background tasks that ended while the node runs (a crash): empty when all are alive."""
        return [] if self._stop.is_set() else [task.get_name() for task in self._tasks if task.done()]

    def _spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> asyncio.Task[Any]:
        async def _runner() -> Any:
            activate(self.db)
            return await fn(*args)
        return asyncio.get_running_loop().create_task(_runner(), context=contextvars.copy_context(),
                                                      name=getattr(fn, "__qualname__", "task"))

    async def run(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Await `fn(*args)` with this node's database active (in a task of its own)."""
        async def _runner() -> T:
            activate(self.db)
            return await fn(*args, **kwargs)
        return await asyncio.get_running_loop().create_task(_runner(), context=contextvars.copy_context())

    async def deliver_once(self) -> int:
        """Run one delivery batch now (tests and CLI use this instead of waiting)."""
        assert self.delivery_worker
        return await self.run(self.delivery_worker.run_once)

    async def process_inbox_once(self) -> int:
        """Process one batch of received activities now."""
        assert self.inbox_worker
        return await self.run(self.inbox_worker.run_once)

    async def release_once(self, now: Any = None) -> int:
        """Release the embargoed stories due at `now` (tests pass a time instead of waiting)."""
        assert self.scheduler
        return await self.run(self.scheduler.run_once, now)

    async def translate_once(self) -> int:
        """Run one batch of due translation jobs now (0 when none are due or no engine is configured)."""
        if self.translation_worker is None:
            return 0
        return await self.run(self.translation_worker.run_once)

    async def fetch_media_once(self, now: Any = None) -> int:
        """Fetch one batch of partners' media files now (tests pass a time to reach a retry)."""
        assert self.media_fetcher
        return await self.run(self.media_fetcher.run_once, now)

    async def stop(self) -> None:
        """Stop workers, close the HTTP client and the database."""
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.translation is not None:
            await self.translation.close()
            self.translation = None
        if self.fed is not None:
            remove_request_hook(self.fed)
            wire_changes.forget(self.fed)
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self.db is not None:
            activate(self.db)
            await self.db.close_connections()
            self.db = None
