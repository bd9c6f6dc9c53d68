// Records a real Fedify-signed object for tests/fixtures/fedify/ (run: node sign_fixture.mjs > ../../fixtures/fedify/signed-create-article.json).
// Fedify 2.3.6 signs with its own eddsa-jcs-2022 code (signObject); our verifier must accept the result.
import { signObject, generateCryptoKeyPair, verifyObject } from "@fedify/fedify/sig";
import { Article, Create, Multikey, Organization, PUBLIC_COLLECTION } from "@fedify/fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";
// The exact wire normalisation Fedify's sendActivity applies after signObject (as:Public spelled out in full);
// internal to 2.3.6, hence the file path.
import { r as normalizeOutgoingActivityJsonLd } from "./node_modules/@fedify/fedify/dist/outgoing-jsonld-OFoubetZ.mjs";

const origin = "https://fedify.example";
const actorId = new URL(`${origin}/users/wire`);
const keyId = new URL(`${origin}/users/wire#ed25519-key`);
const { privateKey, publicKey } = await generateCryptoKeyPair("Ed25519");
const actor = new Organization({
  id: actorId,
  preferredUsername: "wire",
  name: "Fedify Wire",
  inbox: new URL(`${origin}/users/wire/inbox`),
  assertionMethods: [new Multikey({ id: keyId, controller: actorId, publicKey })],
});
const article = new Article({
  id: new URL(`${origin}/articles/1`),
  attribution: actorId,
  name: "Fedify signs this story",
  content: "<p>Signed by Fedify with eddsa-jcs-2022.</p>",
  published: Temporal.Instant.from("2026-11-29T12:00:00Z"),
  to: PUBLIC_COLLECTION,
});
const create = new Create({
  id: new URL(`${origin}/activities/1`),
  actor: actorId,
  object: article,
  to: PUBLIC_COLLECTION,
});
const signed = await signObject(create, privateKey, keyId, {
  created: Temporal.Instant.from("2026-11-29T12:00:01Z"),
});
const actorDoc = await actor.toJsonLd({ format: "compact" });
const signedDoc = await normalizeOutgoingActivityJsonLd(await signed.toJsonLd({ format: "compact" }));
// Fedify checks its own proof first, so the fixture is known good on its side too.
const ok = await verifyObject(Create, signedDoc, {
  documentLoader: async (url) => ({ contextUrl: null, documentUrl: url, document: actorDoc }),
  keyCache: { get: async () => undefined, set: async () => {} },
}).catch((e) => String(e));
console.log(JSON.stringify({ recorded_with: "@fedify/fedify 2.3.6 signObject", fedify_verified: ok != null && typeof ok === "object", actor: actorDoc, activity: signedDoc }, null, 2));
