// The official TypeScript SDK (@anthropic-ai/sdk) as a client of a running
// `lantern serve` that is backed by the fake upstream
// (widget_log.testing.fake_anthropic): the JS twin of tests/sdk/test_sdk.py.
//
// Run (from the repository root):
//
//   scripts/install-clients.sh                      # once: npm ci into .cache/npm-clients
//   .venv/bin/python -m widget_log.testing.fake_anthropic --port 0     # prints FAKE_URL
//   ANTHROPIC_API_KEY=sk-ant-api03-test target/debug/lantern --data-dir /tmp/lt serve \
//       --listen 127.0.0.1:0 --upstream-url "$FAKE_URL"          # prints LANTERN_URL
//   LANTERN_URL=http://127.0.0.1:PORT LANTERN_TOKEN="$(cat /tmp/lt/proxy-token)" \
//       node --test frontends/http/tests/clients/sdk.test.mjs
//
// `make test` runs it against its own `lantern serve` (tests/sdk/test_clients.py).
//
// Environment: LANTERN_URL and LANTERN_TOKEN (required); LANTERN_CLIENTS_DIR,
// the `npm ci` prefix of scripts/install-clients.sh (default: <repo>/.cache/npm-clients).
//
// How the SDK is found: it is not installed next to this file, and neither
// NODE_PATH nor a bare `import` reaches another prefix from an ES module, so the
// file builds a CommonJS `require` rooted at the cache dir (node:module
// createRequire) and loads the SDK's CommonJS build from there.
//
// Against `lantern serve --offline` the answers are Lantern's placeholder, not
// "Fake reply to: ...", and the answer assertions fail by design.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const CLIENTS_DIR = process.env.LANTERN_CLIENTS_DIR || join(REPO, ".cache/npm-clients");
const require = createRequire(join(resolve(CLIENTS_DIR), "package.json"));
const sdk = require("@anthropic-ai/sdk");
const Anthropic = sdk.default;

const URL = process.env.LANTERN_URL;
const TOKEN = process.env.LANTERN_TOKEN;
if (!URL || !TOKEN) {
  throw new Error("set LANTERN_URL (a running `lantern serve`) and LANTERN_TOKEN (its proxy-token)");
}

// Not claude-opus-4-5 (test_sdk.py's): SDK 1.16 prints a deprecation warning for it.
const MODEL = "claude-sonnet-4-5";

function client(opts = {}) {
  return new Anthropic({ baseURL: URL, apiKey: TOKEN, maxRetries: 0, timeout: 20_000, ...opts });
}

/** A prompt no earlier run sent (the proxy's cache outlives this process). */
function fresh(prompt) {
  return `${prompt} [${randomUUID().slice(0, 8)}]`;
}

function ask(c, prompt, extra = {}) {
  return c.messages
    .create({ model: MODEL, max_tokens: 256, messages: [{ role: "user", content: prompt }], ...extra })
    .withResponse();
}

test("messages.create: a miss, then an exact hit, headers read through withResponse()", async () => {
  const c = client();
  const prompt = fresh("How do I reverse a list in Python?");
  const first = await ask(c, prompt);
  assert.equal(first.response.headers.get("x-lantern-cache"), "miss");
  // A miss carries the upstream's own request-id (what its support asks for); Lantern's is beside it.
  assert.match(first.request_id ?? "", /^req_fake_/);
  assert.ok(first.response.headers.get("x-lantern-request-id"));
  assert.equal(first.data.content[0].type, "text");
  assert.equal(first.data.content[0].text, `Fake reply to: ${prompt}`);
  assert.equal(first.data.stop_reason, "end_turn");
  assert.ok(first.data.usage.input_tokens > 0);

  const second = await ask(c, prompt);
  assert.equal(second.response.headers.get("x-lantern-cache"), "hit-exact");
  assert.equal(Number(second.response.headers.get("x-lantern-similarity")), 1);
  assert.deepEqual(second.data.content, first.data.content);
  assert.equal(second.data.id, first.data.id);
  // A hit never reached the upstream: its request-id is Lantern's.
  assert.equal(second.request_id, second.response.headers.get("x-lantern-request-id"));
});

async function streamOnce(c, prompt, extra = {}) {
  const stream = c.messages.stream({
    model: MODEL,
    max_tokens: 256,
    messages: [{ role: "user", content: prompt }],
    ...extra,
  });
  // Iterate first: events emitted before an iterator exists are not replayed to it,
  // and the response (headers) is resolved by the time the first event arrives.
  const deltas = [];
  const names = [];
  for await (const event of stream) {
    names.push(event.type);
    if (event.type === "content_block_delta" && event.delta.type === "text_delta") {
      deltas.push(event.delta.text);
    }
  }
  const final = await stream.finalMessage();
  const { response } = await stream.withResponse();
  return { headers: response.headers, text: deltas.join(""), names, final };
}

test("messages.stream: text deltas add up to the final message, miss then hit", async () => {
  const c = client();
  const prompt = fresh("Explain ownership in Rust briefly");
  const miss = await streamOnce(c, prompt);
  assert.equal(miss.headers.get("x-lantern-cache"), "miss");
  assert.match(miss.headers.get("content-type") ?? "", /^text\/event-stream/);
  assert.equal(miss.text, `Fake reply to: ${prompt}`);
  assert.equal(miss.final.content[0].text, miss.text);
  assert.equal(miss.final.stop_reason, "end_turn");
  assert.ok(miss.final.usage.output_tokens > 0);
  assert.equal(miss.names[0], "message_start");
  assert.deepEqual(miss.names.slice(-2), ["message_delta", "message_stop"]);

  const hit = await streamOnce(c, prompt);
  assert.equal(hit.headers.get("x-lantern-cache"), "hit-exact");
  assert.equal(hit.text, miss.text);
  assert.equal(hit.final.content[0].text, miss.text);
  assert.equal(hit.final.usage.output_tokens, miss.final.usage.output_tokens);
  assert.equal(hit.final.usage.input_tokens, miss.final.usage.input_tokens);
});

const TOOLS = [
  {
    name: "lookup",
    description: "Look a term up",
    input_schema: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
  },
];

test("a tool round trip: tool_use forced by tool_choice, then a tool_result turn", async () => {
  const c = client();
  const prompt = fresh("Look up the capital of France");
  const choice = { type: "tool", name: "lookup" };
  const { data: msg } = await ask(c, prompt, { tools: TOOLS, tool_choice: choice });
  assert.equal(msg.stop_reason, "tool_use");
  assert.equal(msg.content.length, 1);
  const block = msg.content[0];
  assert.equal(block.type, "tool_use");
  assert.equal(block.name, "lookup");
  assert.deepEqual(block.input, { query: prompt });

  // The last user turn holds no text at all, only the tool_result.
  const result = await c.messages.create({
    model: MODEL,
    max_tokens: 128,
    tools: TOOLS,
    messages: [
      { role: "user", content: prompt },
      { role: "assistant", content: msg.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: block.id, content: "Paris" }] },
    ],
  });
  assert.equal(result.stop_reason, "end_turn");
  assert.equal(result.content[0].type, "text");
  assert.ok(result.content[0].text.startsWith("Fake reply to:"), result.content[0].text);
});

test("a wrong token is an AuthenticationError (401)", async () => {
  await assert.rejects(ask(client({ apiKey: "lantern-wrong" }), "hi"), (e) => {
    assert.ok(e instanceof sdk.AuthenticationError, `${e?.constructor?.name}: ${e}`);
    assert.equal(e.status, 401);
    assert.equal(e.error?.error?.type, "authentication_error");
    return true;
  });
});

// The fake upstream accepts any body, so a 400 here comes from Lantern's own checks.
test("an empty model or non-array messages is a BadRequestError (400) naming the field", async () => {
  const c = client();
  const cases = [
    [{ model: "", max_tokens: 10, messages: [{ role: "user", content: fresh("x") }] }, /model/],
    [{ model: MODEL, max_tokens: 10, messages: "not an array" }, /messages/],
  ];
  for (const [body, field] of cases) {
    await assert.rejects(c.messages.create(body), (e) => {
      assert.ok(e instanceof sdk.BadRequestError, `${e?.constructor?.name}: ${e}`);
      assert.equal(e.status, 400);
      assert.equal(e.error?.error?.type, "invalid_request_error");
      assert.match(e.error?.error?.message ?? "", field);
      return true;
    });
  }
});
