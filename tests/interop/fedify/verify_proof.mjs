// Asks Fedify 2.3.6 whether it accepts an object integrity proof: reads {"actor": {...}, "document": {...}} on
// stdin (the actor document is served for every key lookup, offline) and prints {"verified": true|false}.
import { verifyObject } from "@fedify/fedify/sig";
import { Object as APObject, Create, Update, Announce, Article } from "@fedify/fedify/vocab";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { actor, document } = JSON.parse(input);
const classes = { Create, Update, Announce, Article };
const cls = classes[document.type] ?? APObject;
const result = await verifyObject(cls, document, {
  documentLoader: async (url) => ({ contextUrl: null, documentUrl: url, document: actor }),
  keyCache: { get: async () => undefined, set: async () => {} },
}).catch((e) => ({ error: String(e) }));
console.log(JSON.stringify({ verified: result != null && !result.error, error: result?.error ?? null }));
