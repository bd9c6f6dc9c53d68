// Fedify-based ActivityPub test peer for Agency Node interop tests.
//
//   node peer.mjs --port P [--username alice] [--first-knock draft-cavage|rfc9421]
//                 [--require-http-signature] [--no-ed25519] [--quiet]
//                 [--exit-on-stdin-close]
//
// One actor (a Person) on http://127.0.0.1:P, served by Fedify 2.3.6, plus a
// small JSON control API under /_control/ that tests drive.  Every POST to an
// inbox gets its HTTP signature checked by us (verifyRequestDetailed on the raw
// request) *before* Fedify sees it, independently of Fedify's own decision:
// Fedify skips the HTTP-signature check entirely when an activity carries a
// valid Object Integrity Proof or LD signature, so its acceptance is not an
// HTTP-signature verdict.  See README.md for the API.

import http from "node:http";
import process from "node:process";
import { parseArgs } from "node:util";

import { Temporal } from "@js-temporal/polyfill";

import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
} from "@fedify/fedify";
import {
  doesActorOwnKey,
  signObject,
  signRequest,
  verifyRequestDetailed,
} from "@fedify/fedify/sig";
import {
  Accept,
  Activity,
  Announce,
  Article,
  Create,
  Delete,
  Endpoints,
  Follow,
  isActor,
  LanguageString,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Undo,
  Update,
} from "@fedify/fedify/vocab";

// ---------------------------------------------------------------------------
// Arguments

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    username: { type: "string", default: "alice" },
    "first-knock": { type: "string", default: "draft-cavage" },
    "require-http-signature": { type: "boolean", default: false },
    "no-ed25519": { type: "boolean", default: false },
    "exit-on-stdin-close": { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
  },
  strict: true,
});

if (args.port == null || !/^\d+$/.test(args.port)) {
  console.error("usage: node peer.mjs --port P [--username alice] [--first-knock draft-cavage|rfc9421]");
  process.exit(2);
}
const PORT = Number(args.port);
const HOST = args.host;
const USERNAME = args.username;
const ORIGIN = `http://${HOST}:${PORT}`;
const FIRST_KNOCK = {
  "draft-cavage": "draft-cavage-http-signatures-12",
  "draft-cavage-http-signatures-12": "draft-cavage-http-signatures-12",
  cavage: "draft-cavage-http-signatures-12",
  rfc9421: "rfc9421",
}[args["first-knock"]];
if (FIRST_KNOCK == null) {
  console.error(`unknown --first-knock ${args["first-knock"]}`);
  process.exit(2);
}
const REQUIRE_HTTP_SIG = args["require-http-signature"];
const WITH_ED25519 = !args["no-ed25519"];

function log(...parts) {
  if (!args.quiet) console.error(`[fedify-peer ${USERNAME}@${PORT}]`, ...parts);
}

// ---------------------------------------------------------------------------
// fetch wrapper: https://<loopback> -> http://<loopback>.
// Fedify's WebFinger client always builds https URLs for acct: handles, and a
// custom document loader is refused together with allowPrivateAddress, so the
// global fetch is the hook.  Only loopback hosts are rewritten.

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const originalFetch = globalThis.fetch;

function downgrade(url) {
  const u = new URL(url);
  if (u.protocol === "https:" && LOOPBACK.has(u.hostname)) {
    u.protocol = "http:";
    return u.href;
  }
  return null;
}

globalThis.fetch = async function loopbackFetch(input, init) {
  if (input instanceof Request) {
    const replaced = downgrade(input.url);
    if (replaced != null) {
      const body = input.method === "GET" || input.method === "HEAD"
        ? undefined
        : await input.clone().arrayBuffer();
      input = new Request(replaced, {
        method: input.method,
        headers: input.headers,
        body,
        redirect: input.redirect,
        signal: input.signal,
      });
    }
  } else if (input instanceof URL || typeof input === "string") {
    const replaced = downgrade(input.toString());
    if (replaced != null) input = replaced;
  }
  return originalFetch(input, init);
};

// ---------------------------------------------------------------------------
// State (all in memory)

const received = []; // activities that reached an inbox listener
const deliveries = []; // every POST to an inbox: status + verdict
const followers = new Map(); // actor id -> {...}
const following = new Map(); // actor id -> {...}
const posts = new Map(); // local object id -> {object, create}
let keyPairs = null; // [{privateKey, publicKey}], RSA first

const now = () => new Date().toISOString();
const randomId = () => crypto.randomUUID();

// ---------------------------------------------------------------------------
// Federation

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin: ORIGIN,
  allowPrivateAddress: true,
  firstKnock: FIRST_KNOCK,
});

async function getKeyPairs() {
  if (keyPairs == null) {
    const pairs = [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5")];
    if (WITH_ED25519) pairs.push(await generateCryptoKeyPair("Ed25519"));
    keyPairs = pairs;
  }
  return keyPairs;
}

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: `${identifier} (Fedify test peer)`,
      summary: "An ActivityPub peer built on Fedify for interop tests.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      following: ctx.getFollowingUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      manuallyApprovesFollowers: false,
      discoverable: true,
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => {
    if (identifier !== USERNAME) return [];
    return await getKeyPairs();
  });

federation.setFollowersDispatcher(
  "/users/{identifier}/followers",
  (_ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    const items = [...followers.values()]
      .filter((f) => f.state === "accepted")
      .map((f) => ({
        id: new URL(f.actor),
        inboxId: f.inbox ? new URL(f.inbox) : null,
        endpoints: { sharedInbox: f.shared_inbox ? new URL(f.shared_inbox) : null },
      }));
    return { items };
  },
).setCounter(() => [...followers.values()].filter((f) => f.state === "accepted").length);

federation.setFollowingDispatcher(
  "/users/{identifier}/following",
  (_ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    const items = [...following.values()]
      .filter((f) => f.state === "accepted")
      .map((f) => new URL(f.actor));
    return { items };
  },
).setCounter(() => [...following.values()].filter((f) => f.state === "accepted").length);

federation.setOutboxDispatcher(
  "/users/{identifier}/outbox",
  (_ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    return { items: [...posts.values()].map((p) => p.create).reverse() };
  },
).setCounter(() => posts.size);

federation.setObjectDispatcher(
  Note,
  "/users/{identifier}/notes/{id}",
  (ctx, values) => postFor(ctx, values, Note),
);
federation.setObjectDispatcher(
  Article,
  "/users/{identifier}/articles/{id}",
  (ctx, values) => postFor(ctx, values, Article),
);

function postFor(ctx, { identifier, id }, cls) {
  if (identifier !== USERNAME) return null;
  const kind = cls === Note ? "notes" : "articles";
  const uri = new URL(`/users/${identifier}/${kind}/${id}`, ctx.origin).href;
  const post = posts.get(uri);
  return post != null && post.object instanceof cls ? post.object : null;
}

// ---------------------------------------------------------------------------
// Recording what inbox listeners see

async function record(ctx, activity) {
  const inbound = ctx.data?.inbound ?? null; // set by our HTTP middleware
  const raw = inbound?.json ?? null;
  let compacted = null;
  try {
    compacted = await activity.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader });
  } catch (error) {
    log("could not compact activity:", error?.message ?? error);
  }
  const verdict = inbound?.verdict ?? null;
  let signerIsActor = null;
  if (verdict?.key != null) {
    try {
      signerIsActor = await doesActorOwnKey(activity, verdict.key, ctx);
    } catch (error) {
      log("doesActorOwnKey failed:", error?.message ?? error);
      signerIsActor = false;
    }
  }
  let httpSigVerified = null;
  if (verdict != null && verdict.scheme != null) {
    httpSigVerified = verdict.valid && signerIsActor === true;
  }
  const entry = {
    type: typeName(activity, raw),
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    object: objectOf(raw, compacted),
    activity: raw ?? compacted,
    compacted,
    inbox: inbound?.path ?? null,
    received_at: now(),
    http_signature_verified: httpSigVerified,
    http_signature_valid: verdict?.scheme != null ? verdict.valid : null,
    signer_is_actor: signerIsActor,
    signature_scheme: verdict?.scheme ?? null,
    signature_key_id: verdict?.keyId ?? null,
    signature_failure: verdict?.failure ?? null,
    has_proof: raw != null && raw.proof != null,
    has_ld_signature: raw != null && raw.signature != null,
    attachments: await parsedAttachments(activity, ctx),
  };
  received.push(entry);
  if (inbound?.delivery != null) inbound.delivery.recorded = true;
  log(`received ${entry.type} ${entry.id} from ${entry.actor} (http sig: ${httpSigVerified}, ${entry.signature_scheme})`);
  return entry;
}

function typeName(activity, raw) {
  if (raw != null && typeof raw.type === "string") return raw.type;
  if (raw != null && Array.isArray(raw.type)) return raw.type[0];
  return activity.constructor.name;
}

// The attachments of an embedded object as Fedify's own vocabulary objects see them (Image, Video, Audio,
// Document with mediaType, url, name, width, height), so a test can tell that Fedify parsed them.
async function parsedAttachments(activity, ctx) {
  if (typeof activity.getObject !== "function") return null;
  try {
    const object = await activity.getObject({ documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader });
    if (object == null || typeof object.getAttachments !== "function") return null;
    const found = [];
    for await (const item of object.getAttachments({ documentLoader: ctx.documentLoader,
                                                     contextLoader: ctx.contextLoader })) {
      const url = item.url instanceof URL ? item.url.href : item.url?.href?.href ?? null;
      found.push({ type: item.constructor.name, mediaType: item.mediaType ?? null, url,
                   name: item.name?.toString() ?? null, width: item.width ?? null, height: item.height ?? null });
    }
    return found;
  } catch (error) {
    log("could not read attachments:", error?.message ?? error);
    return null;
  }
}

function objectOf(raw, compacted) {
  if (raw != null && "object" in raw) return raw.object;
  if (compacted != null && "object" in compacted) return compacted.object;
  return null;
}

async function actorInfo(ctx, actorId, activity) {
  let actor = null;
  try {
    actor = await activity.getActor(ctx);
  } catch (error) {
    log("could not fetch actor", actorId, error?.message ?? error);
  }
  return {
    actor: actorId,
    inbox: actor?.inboxId?.href ?? null,
    shared_inbox: actor?.endpoints?.sharedInbox?.href ?? null,
    handle: actor?.preferredUsername != null
      ? `acct:${actor.preferredUsername}@${new URL(actorId).host}`
      : null,
    object: actor,
  };
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .setSharedKeyDispatcher((_ctx) => ({ identifier: USERNAME }))
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    if (follow.id == null || follow.actorId == null || follow.objectId == null) return;
    const parsed = ctx.parseUri(follow.objectId);
    if (parsed?.type !== "actor" || parsed.identifier !== USERNAME) return;
    const info = await actorInfo(ctx, follow.actorId.href, follow);
    if (info.object == null) return;
    const accept = new Accept({
      id: new URL(`/activities/accept/${randomId()}`, ctx.origin),
      actor: ctx.getActorUri(USERNAME),
      object: follow,
    });
    followers.set(follow.actorId.href, {
      actor: follow.actorId.href,
      handle: info.handle,
      inbox: info.inbox,
      shared_inbox: info.shared_inbox,
      follow_id: follow.id.href,
      accept_id: accept.id.href,
      state: "accepted",
      since: now(),
    });
    try {
      await ctx.sendActivity({ identifier: USERNAME }, info.object, accept);
    } catch (error) {
      log("sending Accept failed:", error?.message ?? error);
      const f = followers.get(follow.actorId.href);
      if (f) f.accept_error = String(error?.message ?? error);
    }
  })
  .on(Accept, async (ctx, accept) => {
    await record(ctx, accept);
    const objectId = accept.objectId?.href;
    let entry = [...following.values()].find((f) => f.follow_id === objectId);
    if (entry == null && accept.actorId != null) entry = following.get(accept.actorId.href);
    if (entry != null && entry.state !== "undone") {
      entry.state = "accepted";
      entry.accepted_at = now();
    }
  })
  .on(Reject, async (ctx, reject) => {
    await record(ctx, reject);
    const objectId = reject.objectId?.href;
    let entry = [...following.values()].find((f) => f.follow_id === objectId);
    if (entry == null && reject.actorId != null) entry = following.get(reject.actorId.href);
    if (entry != null) {
      entry.state = "rejected";
      entry.rejected_at = now();
    }
  })
  .on(Undo, async (ctx, undo) => {
    await record(ctx, undo);
    const actorId = undo.actorId?.href;
    if (actorId == null) return;
    const f = followers.get(actorId);
    if (f == null) return;
    // The undone object may be embedded (Mastodon) or just an id.
    const raw = ctx.data?.inbound?.json;
    const obj = raw?.object;
    const objId = typeof obj === "string" ? obj : obj?.id;
    const objType = typeof obj === "object" && obj != null ? obj.type : null;
    if (objId === f.follow_id || objType === "Follow") {
      f.state = "removed";
      f.removed_at = now();
    }
  })
  .on(Create, (ctx, a) => record(ctx, a))
  .on(Update, (ctx, a) => record(ctx, a))
  .on(Delete, (ctx, a) => record(ctx, a))
  .on(Announce, (ctx, a) => record(ctx, a))
  .on(Activity, (ctx, a) => record(ctx, a)) // anything else (Like, Move, ...)
  .onError((_ctx, error) => log("inbox error:", error?.stack ?? error));

// ---------------------------------------------------------------------------
// Our own HTTP-signature verdict, computed on the raw request.

const INBOX_PATH = /^\/(?:inbox|users\/[^/]+\/inbox)\/?$/;

function signatureScheme(request) {
  if (request.headers.has("signature-input")) return "rfc9421";
  if (request.headers.has("signature")) return "draft-cavage-http-signatures-12";
  return null;
}

async function httpSignatureVerdict(request) {
  const scheme = signatureScheme(request);
  if (scheme == null) return { scheme: null, valid: false, failure: "noSignature", key: null, keyId: null };
  // Key fetches are GETs signed by our actor, so authorized-fetch peers answer.
  const ctx = federation.createContext(request, undefined);
  const documentLoader = await ctx.getDocumentLoader({ identifier: USERNAME });
  let result;
  try {
    result = await verifyRequestDetailed(request.clone(), {
      spec: scheme,
      documentLoader,
      contextLoader: ctx.contextLoader,
      timeWindow: { hours: 1 },
    });
  } catch (error) {
    return { scheme, valid: false, failure: `error: ${error?.message ?? error}`, key: null, keyId: null };
  }
  if (result.verified) {
    return { scheme, valid: true, failure: null, key: result.key, keyId: result.key.id?.href ?? null };
  }
  const reason = result.reason;
  let failure = reason.type;
  if (reason.type === "keyFetchError") {
    failure += "status" in reason.result ? ` (HTTP ${reason.result.status})` : ` (${reason.result.error?.message ?? "error"})`;
  }
  return { scheme, valid: false, failure, key: null, keyId: reason.keyId?.href ?? null };
}

async function handleInboxPost(request, path) {
  const bodyText = await request.clone().text();
  let json = null;
  try {
    json = JSON.parse(bodyText);
  } catch {
    json = null;
  }
  const verdict = await httpSignatureVerdict(request);
  const delivery = {
    path,
    received_at: now(),
    type: json?.type ?? null,
    id: json?.id ?? null,
    actor: typeof json?.actor === "string" ? json.actor : json?.actor?.id ?? null,
    signature_scheme: verdict.scheme,
    http_signature_valid: verdict.scheme != null ? verdict.valid : null,
    signature_key_id: verdict.keyId,
    signature_failure: verdict.failure,
    status: null,
    recorded: false,
  };
  deliveries.push(delivery);
  let response;
  if (REQUIRE_HTTP_SIG && !verdict.valid) {
    response = Response.json(
      { type: "about:blank", title: "HTTP signature required", status: 401, detail: verdict.failure },
      { status: 401, headers: { "Content-Type": "application/problem+json" } },
    );
  } else {
    response = await federation.fetch(request, {
      contextData: { inbound: { json, verdict, path, delivery } },
    });
  }
  delivery.status = response.status;
  if (!response.ok) {
    const text = await response.clone().text().catch(() => "");
    delivery.response = text.slice(0, 500);
    log(`inbox ${path} answered ${response.status} to ${delivery.type} ${delivery.id}: ${delivery.response} (sig: ${verdict.failure ?? "ok"})`);
  }
  return response;
}

// ---------------------------------------------------------------------------
// Control API

function json(data, status = 200) {
  return new Response(JSON.stringify(data, null, 1), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

function errorResponse(error, status = 500) {
  return json({ error: String(error?.message ?? error), stack: error?.stack ?? null }, status);
}

async function readJson(request) {
  const text = await request.text();
  if (text.trim() === "") return {};
  return JSON.parse(text);
}

function controlContext() {
  return federation.createContext(new URL(ORIGIN), undefined);
}

async function lookupActor(ctx, handle) {
  const documentLoader = await ctx.getDocumentLoader({ identifier: USERNAME });
  const actor = await ctx.lookupObject(handle, { documentLoader });
  if (actor == null || !isActor(actor)) {
    throw new Error(`could not resolve ${handle} to an actor`);
  }
  return actor;
}

const controlRoutes = {
  "GET /_control/health": async () =>
    json({ ok: true, actor: controlContext().getActorUri(USERNAME).href, handle: handle(), first_knock: FIRST_KNOCK }),

  "GET /_control/received": async () => json(received),
  "DELETE /_control/received": async () => {
    received.length = 0;
    deliveries.length = 0;
    return json({ ok: true });
  },
  "GET /_control/deliveries": async () => json(deliveries),
  "GET /_control/followers": async () => json([...followers.values()]),
  "GET /_control/following": async () => json([...following.values()].map(({ object: _o, ...rest }) => rest)),

  "POST /_control/follow": async (request) => {
    const body = await readJson(request);
    const target = body.handle ?? body.actor;
    if (!target) return json({ error: "handle or actor required" }, 400);
    const ctx = controlContext();
    const actor = await lookupActor(ctx, target);
    const follow = new Follow({
      id: new URL(`/activities/follow/${randomId()}`, ORIGIN),
      actor: ctx.getActorUri(USERNAME),
      object: actor.id,
    });
    following.set(actor.id.href, {
      actor: actor.id.href,
      handle: target,
      inbox: actor.inboxId?.href ?? null,
      follow_id: follow.id.href,
      state: "pending",
      since: now(),
    });
    await ctx.sendActivity({ identifier: USERNAME }, actor, follow);
    return json({ actor: actor.id.href, follow_id: follow.id.href, inbox: actor.inboxId?.href ?? null });
  },

  "POST /_control/unfollow": async (request) => {
    const body = await readJson(request);
    const target = body.handle ?? body.actor;
    if (!target) return json({ error: "handle or actor required" }, 400);
    const ctx = controlContext();
    const actor = await lookupActor(ctx, target);
    const entry = following.get(actor.id.href);
    if (entry == null) return json({ error: `not following ${actor.id.href}` }, 409);
    const undo = new Undo({
      id: new URL(`/activities/undo/${randomId()}`, ORIGIN),
      actor: ctx.getActorUri(USERNAME),
      object: new Follow({
        id: new URL(entry.follow_id),
        actor: ctx.getActorUri(USERNAME),
        object: actor.id,
      }),
    });
    await ctx.sendActivity({ identifier: USERNAME }, actor, undo);
    entry.state = "undone";
    entry.undone_at = now();
    return json({ actor: actor.id.href, id: undo.id.href });
  },

  "POST /_control/publish": async (request) => {
    const body = await readJson(request);
    if (typeof body.content !== "string") return json({ error: "content required" }, 400);
    const ctx = controlContext();
    const language = body.language ?? "en";
    const cls = body.type === "Article" || (body.type == null && body.name) ? Article : Note;
    const kind = cls === Note ? "notes" : "articles";
    const uuid = randomId();
    const objectId = new URL(`/users/${USERNAME}/${kind}/${uuid}`, ORIGIN);
    const published = Temporal.Now.instant();
    const values = {
      id: objectId,
      attribution: ctx.getActorUri(USERNAME),
      to: PUBLIC_COLLECTION,
      cc: ctx.getFollowersUri(USERNAME),
      contents: language ? [body.content, new LanguageString(body.content, language)] : [body.content],
      url: objectId,
      published,
    };
    if (body.name) values.names = language ? [body.name, new LanguageString(body.name, language)] : [body.name];
    if (body.summary) values.summaries = language ? [body.summary, new LanguageString(body.summary, language)] : [body.summary];
    const object = new cls(values);
    const create = new Create({
      id: new URL(`/activities/create/${uuid}`, ORIGIN),
      actor: ctx.getActorUri(USERNAME),
      to: PUBLIC_COLLECTION,
      cc: ctx.getFollowersUri(USERNAME),
      object,
      published,
    });
    posts.set(objectId.href, { object, create });
    const delivered = await ctx.sendActivity({ identifier: USERNAME }, "followers", create, {
      preferSharedInbox: body.prefer_shared_inbox ?? true,
    });
    return json({ id: objectId.href, activity_id: create.id.href, type: cls === Note ? "Note" : "Article", delivered: delivered !== false });
  },

  // Send an arbitrary activity to an inbox with a chosen signature, for
  // negative tests.  signature: "draft-cavage" (default) | "rfc9421" | "none" |
  // "wrong-key" (signed with a throwaway key under our keyId) | "tampered"
  // (signed, then the body changed).  proof: true adds an Object Integrity
  // Proof (eddsa-jcs-2022) by our Ed25519 key.
  "POST /_control/send": async (request) => {
    const body = await readJson(request);
    if (!body.inbox) return json({ error: "inbox required" }, 400);
    const ctx = controlContext();
    const actorUri = ctx.getActorUri(USERNAME);
    let activityJson = body.activity ?? {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: new URL(`/activities/create/${randomId()}`, ORIGIN).href,
      type: "Create",
      actor: actorUri.href,
      to: PUBLIC_COLLECTION.href,
      object: {
        id: new URL(`/users/${USERNAME}/notes/${randomId()}`, ORIGIN).href,
        type: "Note",
        attributedTo: actorUri.href,
        to: PUBLIC_COLLECTION.href,
        content: body.content ?? "raw test note",
      },
    };
    const pairs = await ctx.getActorKeyPairs(USERNAME);
    if (body.proof) {
      const ed = pairs.find((p) => p.privateKey.algorithm.name === "Ed25519");
      if (ed == null) return json({ error: "no Ed25519 key (started with --no-ed25519)" }, 400);
      const activity = await Activity.fromJsonLd(activityJson, { contextLoader: ctx.contextLoader, documentLoader: ctx.documentLoader });
      const signed = await signObject(activity, ed.privateKey, ed.multikey.id, { contextLoader: ctx.contextLoader });
      activityJson = await signed.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader });
    }
    const payload = JSON.stringify(activityJson);
    let req = new Request(body.inbox, {
      method: "POST",
      headers: {
        "Content-Type": "application/activity+json",
        Accept: "application/activity+json",
      },
      body: payload,
    });
    const mode = body.signature ?? "draft-cavage";
    const rsa = pairs.find((p) => p.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5");
    const spec = mode === "rfc9421" ? "rfc9421" : "draft-cavage-http-signatures-12";
    if (mode === "draft-cavage" || mode === "rfc9421" || mode === "tampered") {
      req = await signRequest(req, rsa.privateKey, rsa.keyId, { spec });
    } else if (mode === "wrong-key") {
      const other = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
      req = await signRequest(req, other.privateKey, rsa.keyId, { spec });
    } else if (mode !== "none") {
      return json({ error: `unknown signature mode ${mode}` }, 400);
    }
    if (mode === "tampered") {
      const tampered = JSON.stringify({ ...activityJson, summary: "tampered after signing" });
      req = new Request(req.url, { method: "POST", headers: req.headers, body: tampered });
    }
    const res = await fetch(req);
    const text = await res.text();
    return json({ status: res.status, body: text.slice(0, 2000), activity: activityJson });
  },
};

function handle() {
  return `acct:${USERNAME}@${HOST}:${PORT}`;
}

// ---------------------------------------------------------------------------
// HTTP server (plain node:http <-> fetch API adapter)

async function toRequest(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD" && body.length > 0;
  return new Request(new URL(req.url, ORIGIN), {
    method: req.method,
    headers,
    body: hasBody ? body : undefined,
  });
}

async function route(request) {
  const url = new URL(request.url);
  const key = `${request.method} ${url.pathname.replace(/\/$/, "")}`;
  if (url.pathname.startsWith("/_control/")) {
    const handler = controlRoutes[key];
    if (handler == null) return json({ error: `no control route ${key}` }, 404);
    try {
      return await handler(request);
    } catch (error) {
      log("control error:", error?.stack ?? error);
      return errorResponse(error);
    }
  }
  if (request.method === "POST" && INBOX_PATH.test(url.pathname)) {
    return await handleInboxPost(request, url.pathname);
  }
  return await federation.fetch(request, {
    contextData: undefined,
    onNotFound: () => new Response("Not found", { status: 404, headers: { "Content-Type": "text/plain" } }),
    onNotAcceptable: () => new Response("Not acceptable", { status: 406, headers: { "Content-Type": "text/plain" } }),
  });
}

const server = http.createServer(async (req, res) => {
  let response;
  try {
    response = await route(await toRequest(req));
  } catch (error) {
    log("unhandled error:", error?.stack ?? error);
    response = errorResponse(error);
  }
  const headers = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  if (response.body != null && req.method !== "HEAD") {
    res.end(Buffer.from(await response.arrayBuffer()));
  } else {
    res.end();
  }
});

await getKeyPairs();
server.listen(PORT, HOST, () => {
  process.stdout.write(`READY ${ORIGIN}\n`);
});

function shutdown() {
  server.close();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
// The harness keeps our stdin open; if it dies, so do we (no orphaned peers).
if (args["exit-on-stdin-close"]) {
  process.stdin.on("end", shutdown);
  process.stdin.on("error", shutdown);
  process.stdin.resume();
}
process.on("SIGINT", shutdown);
