// The Fedify side of bench/peers.py: one Fedify 2.3 app on loopback with an actor, N followers whose shared
// inboxes live on the bench's verifying receiver, and an inbox that counts the Creates its listener sees.
//
//   node peers_fedify.mjs --port P --receiver-port R --followers N --inboxes M [--queue none|parallel]
//                         [--workers 16] [--sender-origin http://127.0.0.1:B]
//
// bench/peers.py copies this file next to the pinned node_modules (bench/.fedify/app/) and runs it there.
// Control routes: GET /_bench/actor (the actor's public key PEM), POST /_bench/publish (one Create to every
// follower, answering once sendActivity has returned: with no queue the deliveries are done by then, with a
// queue they are enqueued), GET|POST /_bench/stats (inbox POSTs answered 2xx, listener runs; POST resets).
// It prints "READY <origin>" on stdout once listening.

import http from "node:http";
import process from "node:process";
import { parseArgs } from "node:util";

import { Temporal } from "@js-temporal/polyfill";
import {
  createFederation,
  generateCryptoKeyPair,
  InProcessMessageQueue,
  MemoryKvStore,
  ParallelMessageQueue,
} from "@fedify/fedify";
import { Article, Create, Endpoints, Organization, PUBLIC_COLLECTION } from "@fedify/fedify/vocab";

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    "receiver-port": { type: "string" },
    followers: { type: "string", default: "2000" },
    inboxes: { type: "string", default: "500" },
    queue: { type: "string", default: "none" },
    workers: { type: "string", default: "16" },
  },
  strict: true,
});
const PORT = Number(args.port);
const RECEIVER_PORT = Number(args["receiver-port"]);
const FOLLOWERS = Number(args.followers);
const INBOXES = Number(args.inboxes);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const USERNAME = "bench";

// The same hosts as bench/_procs.py inbox_address(): one loopback address per receiving server.
const inboxAddress = (i) => `127.0.${1 + Math.floor(i / 200)}.${1 + (i % 200)}`;
const followers = Array.from({ length: FOLLOWERS }, (_, j) => {
  const host = `${inboxAddress(j % INBOXES)}:${RECEIVER_PORT}`;
  return {
    id: new URL(`http://${host}/users/f${j}`),
    inboxId: new URL(`http://${host}/users/f${j}/inbox`),
    endpoints: { sharedInbox: new URL(`http://${host}/inbox`) },
  };
});

let queue;
if (args.queue === "parallel") {
  // Poll often: the default 5 s poll would time the poll, not the delivery.
  queue = new ParallelMessageQueue(new InProcessMessageQueue({ pollInterval: { milliseconds: 50 } }),
    Number(args.workers));
} else if (args.queue !== "none") {
  console.error(`unknown --queue ${args.queue}`);
  process.exit(2);
}

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin: ORIGIN,
  allowPrivateAddress: true,
  ...(queue ? { queue } : {}),
});

// RSA-2048 like our node (Fedify's generateCryptoKeyPair makes 4096-bit keys, which sign about 6 times slower).
async function rsa2048() {
  const { privateKey, publicKey } = await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true, ["sign", "verify"]);
  return { privateKey, publicKey };
}
const keyPairs = [await rsa2048(), await generateCryptoKeyPair("Ed25519")];

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Organization({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify bench agency",
      inbox: ctx.getInboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === USERNAME ? keyPairs : []));

federation.setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) =>
  identifier === USERNAME ? { items: followers } : null,
).setCounter(() => followers.length);

// accepted: 2xx answers to inbox POSTs; creates: activities the inbox listener has run for (processed).
// fetches: documents Fedify GETs (the senders' keys; once each when its key cache works).
const ZERO = { accepted: 0, refused: 0, creates: 0, errors: 0, fetches: 0, first: 0, last: 0 };
const stats = { ...ZERO };
const acceptedIds = new Set();
const originalFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const method = init?.method ?? (input instanceof Request ? input.method : "GET");
  if (method === "GET") stats.fetches += 1;
  return originalFetch(input, init);
};
federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Create, () => {
    const t = performance.now();
    stats.creates += 1;
    stats.first ||= t;
    stats.last = t;
  })
  .onError((_ctx, error) => {
    stats.errors += 1;
    if (stats.errors <= 3) console.error("inbox error:", error?.stack ?? error);
  });

// The same story bench/federation.py publishes on our node.
const BODY = "<p>" + "Farmers in the northern regions finished the wheat harvest two weeks early. ".repeat(20) + "</p>";

async function publish() {
  const ctx = federation.createContext(new URL(ORIGIN), undefined);
  const uuid = crypto.randomUUID();
  const objectId = new URL(`/users/${USERNAME}/articles/${uuid}`, ORIGIN);
  const published = Temporal.Now.instant();
  const create = new Create({
    id: new URL(`/activities/create/${uuid}`, ORIGIN),
    actor: ctx.getActorUri(USERNAME),
    to: PUBLIC_COLLECTION,
    cc: ctx.getFollowersUri(USERNAME),
    published,
    object: new Article({
      id: objectId,
      attribution: ctx.getActorUri(USERNAME),
      to: PUBLIC_COLLECTION,
      cc: ctx.getFollowersUri(USERNAME),
      name: "Wheat harvest ends early in the north",
      summary: "Farmers finished the harvest two weeks ahead of last year.",
      content: BODY,
      url: objectId,
      published,
    }),
  });
  await ctx.sendActivity({ identifier: USERNAME }, "followers", create, { preferSharedInbox: true });
  return { id: create.id.href };
}

async function publicKeyPem(key) {
  const der = Buffer.from(await crypto.subtle.exportKey("spki", key)).toString("base64");
  return `-----BEGIN PUBLIC KEY-----\n${der.match(/.{1,64}/g).join("\n")}\n-----END PUBLIC KEY-----\n`;
}

const json = (data, status = 200) =>
  new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });

async function route(request, activityId) {
  const { pathname } = new URL(request.url);
  const key = `${request.method} ${pathname}`;
  if (key === "GET /_bench/actor") {
    return json({ actor: `${ORIGIN}/users/${USERNAME}`, public_key_pem: await publicKeyPem(keyPairs[0].publicKey) });
  }
  if (key === "POST /_bench/publish") return json(await publish());
  if (key === "GET /_bench/stats" || key === "POST /_bench/stats") {
    const now = { ...stats };
    if (request.method === "POST") Object.assign(stats, ZERO);
    return json(now);
  }
  const response = await federation.fetch(request, { contextData: undefined });
  if (request.method === "POST") {
    // Once wrk has sent every request it repeats the last one: count each activity's first 2xx only.
    if (!response.ok) {
      if (stats.refused++ < 3) console.error(`inbox answered ${response.status}: ${await response.clone().text()}`);
    } else if (!acceptedIds.has(activityId)) {
      acceptedIds.add(activityId);
      stats.accepted += 1;
    }
  }
  return response;
}

http.createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const request = new Request(new URL(req.url, ORIGIN), {
    method: req.method, headers, body: req.method !== "GET" && req.method !== "HEAD" && body.length ? body : undefined,
  });
  let response;
  try {
    let activityId = null;
    if (req.method === "POST") {
      try {
        activityId = JSON.parse(body.toString("utf8"))?.id ?? null;
      } catch {
        activityId = null;
      }
    }
    response = await route(request, activityId);
  } catch (error) {
    console.error("error:", error?.stack ?? error);
    response = json({ error: String(error?.message ?? error) }, 500);
  }
  const out = {};
  response.headers.forEach((value, name) => { out[name] = value; });
  res.writeHead(response.status, out);
  res.end(response.body != null ? Buffer.from(await response.arrayBuffer()) : undefined);
}).listen(PORT, "127.0.0.1", () => process.stdout.write(`READY ${ORIGIN}\n`));

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
