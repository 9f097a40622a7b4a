// The page against bad input (tests/BAD_INPUTS.md): links with values out of range, of the
// wrong type or hostile; odd text; broken model folders served by the test server. Each gets a
// clear message in the learner's language, and the page stays usable with their text intact.

import fs from 'node:fs';
import path from 'node:path';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';
import { URL_SCHEMA } from '../../www/url-state.js';

const MODEL = '/models/default/';
const shipped = (file) => fs.readFileSync(path.join(h.WWW, 'models/default', file));

/** What the server answers instead of the shipped files, by path (see harness `override`). */
let broken = {};
let env;
before(async () => { env = await h.start({ override: (rel) => broken[rel] }); });
after(async () => { await env?.stop(); });

/** Open the page and wait for the engine's answer or its error (h.open fails on an error). */
async function openAllowingErrors(query) {
  const page = await env.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(`${env.url}${query}`);
  await page.waitForFunction(() => {
    const s = window.__playground?.store.get();
    return s && (s.error || (!s.loading && s.tokens !== null));
  }, null, { timeout: 120_000, polling: 100 });
  await h.settle(page);
  return page;
}

const barCount = (page) => page.$$eval('#bars li[data-id]', (nodes) => nodes.length);

test('a link with p=-1 still shows probabilities, says what it changed, and typing works', async () => {
  const page = await h.open(env, '?text=hi&p=-1&lang=en');
  const s = await h.state(page);
  assert.equal(s.error, null);
  assert.equal(s.text, 'hi');
  assert.equal(s.topP, URL_SCHEMA.topP.min);
  assert.ok(await barCount(page) > 0, 'probabilities are shown');
  assert.equal(await page.isVisible('#link-note'), true);
  assert.match(await page.textContent('#link-note'), /p=-1.*out of range.*0\.05 is used.*rest of the link/s);
  await h.type(page, 'The cat');
  assert.ok(await barCount(page) > 0);
  await page.click('#link-note .link-note-dismiss');
  await h.settle(page);
  assert.equal(await page.isVisible('#link-note'), false);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('every link value bad at once: each is clamped or dropped, the rest applies, said in Chinese', async () => {
  const query = new URLSearchParams({
    text: '小明 喜欢 苹果', lang: 'zh', mask: '<script>alert(1)</script>', layer: '2', head: 'NaN',
    focus: '-4', step: '99', t: '1e999', k: '0x10', p: '2', seed: '-1', backend: 'javascript:alert(1)', embed: 'maybe',
  });
  const page = await h.open(env, `?${query}`);
  const s = await h.state(page);
  assert.equal(s.error, null);
  assert.deepEqual(
    { text: s.text, lang: s.lang, mask: s.mask, layer: s.layer, head: s.head, focus: s.focus, step: s.step, temperature: s.temperature, topK: s.topK, topP: s.topP, seed: s.seed, backend: s.backend, embed: s.embed },
    { text: '小明 喜欢 苹果', lang: 'zh', mask: 'causal', layer: 1, head: 0, focus: 0, step: 5, temperature: 1, topK: 0, topP: 1, seed: 0, backend: 'auto', embed: false },
  );
  const note = await page.textContent('#link-note');
  for (const name of ['mask', 'head', 'focus', 'step', 't', 'k', 'p', 'seed', 'backend']) assert.ok(note.includes(`${name}=`), `${name} in ${note}`);
  assert.match(note, /已忽略这一项/);
  assert.match(note, /超出了允许的范围/);
  assert.equal(await page.$$eval('#link-note script, #link-note *:not(p):not(button)', (n) => n.length), 0);
  assert.ok(await barCount(page) > 0);
  assert.deepEqual(env.dialogs, []);
  await page.close();
});

test('a link with a very long text keeps its first characters and says so', async () => {
  const text = 'the cat 喜 '.repeat(250); // 2500 characters; the test server takes URLs up to 16 KB
  const page = await h.open(env, `?lang=en&text=${encodeURIComponent(text)}`);
  const s = await h.state(page);
  assert.equal(s.text, Array.from(text).slice(0, URL_SCHEMA.text.max).join(''));
  assert.match(await page.textContent('#link-note'), new RegExp(`longer than ${URL_SCHEMA.text.max} characters`));
  assert.ok(await barCount(page) > 0);
  await page.close();
});

test('the link ranges are the controls\' ranges', async () => {
  const page = await h.open(env, '?lang=en');
  for (const [field, id] of [['temperature', '#temperature'], ['topK', '#topk'], ['topP', '#topp'], ['seed', '#seed']]) {
    const { min, max } = await page.$eval(id, (input) => ({ min: Number(input.min), max: Number(input.max) }));
    assert.deepEqual({ min, max }, { min: URL_SCHEMA[field].min, max: URL_SCHEMA[field].max }, field);
  }
  await page.close();
});

test('odd text: spaces, emoji ZWJ, combining marks, RTL, control characters, [MASK] are tokens like any', async () => {
  const page = await h.open(env, '?lang=en');
  const cases = ['   ', '👩‍👩‍👧‍👦 🏳️‍🌈', 'e\u0301\u0302 a\u030A', 'שלום مرحبا \u202Eabc', 'a\u0000b\u0007c\u001B[31m\u200B', '小明 [MASK] 苹果'];
  for (const text of cases) {
    await page.evaluate((t) => window.__playground.actions.set({ text: t }), text);
    await h.settle(page);
    const s = await h.state(page);
    assert.equal(s.error, null, JSON.stringify(text));
    assert.ok(s.tokens.ids.length > 0, JSON.stringify(text));
    assert.equal(await page.inputValue('#text-input'), text);
    assert.ok(await barCount(page) > 0, JSON.stringify(text));
  }
  // The GPT shares the encoder's tokenizer: "[MASK]" is one special token (with the space before
  // it), which the GPT never met in training; it runs like any other token and no fill-in appears.
  const s = await h.state(page);
  assert.ok(s.tokens.display.includes(' [MASK]'), s.tokens.display.join('|'));
  assert.equal(s.fill, null);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('lone surrogates from JavaScript reach the engine as U+FFFD and the text box keeps them', async () => {
  const page = await h.open(env, '?lang=en');
  const text = 'a\uD800b\uDFFFc';
  await page.evaluate((t) => window.__playground.actions.set({ text: t }), text);
  await h.settle(page);
  const s = await h.state(page);
  assert.equal(s.error, null);
  assert.equal(await page.evaluate(() => document.querySelector('#text-input').value), text);
  // wasm-bindgen encodes JS strings with TextEncoder, which replaces each lone surrogate:
  // the tokens are those of the same text with U+FFFD (3 bytes, so 3 tokens each, 1¹ 2² 3³).
  await page.evaluate(() => window.__playground.actions.set({ text: 'a\uFFFDb\uFFFDc' }));
  await h.settle(page);
  assert.deepEqual((await h.state(page)).tokens.ids, s.tokens.ids);
  assert.equal(s.tokens.display.join('').replace(/[¹²³]/g, ''), 'a\uFFFD\uFFFD\uFFFDb\uFFFD\uFFFD\uFFFDc');
  await page.close();
});

test('100 000 characters: the page stays responsive, runs the first tokens, shows the rest cut', async () => {
  const page = await h.open(env, '?lang=en');
  const text = '小明 喜欢 苹果。The cat sat. '.repeat(4200).slice(0, 100_000);
  const started = Date.now();
  await page.fill('#text-input', text);
  await h.settle(page);
  const ms = Date.now() - started;
  const s = await h.state(page);
  assert.equal(s.error, null);
  assert.equal(s.tokens.ids.length, s.model.n_positions);
  assert.equal(s.tokens.truncated, true);
  assert.equal(await page.inputValue('#text-input'), text, 'the text box keeps every character');
  assert.ok(await barCount(page) > 0);
  // The link carries a capped copy, not 100 000 characters.
  assert.ok(decodeURIComponent(new URL(page.url()).searchParams.get('text')).length <= URL_SCHEMA.text.max);
  console.log(`100 000 characters: ${ms} ms from fill to settled`);
  await page.close();
});

// ---- broken model folders ----

function readSafetensors(bytes) {
  const n = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + n).toString()), data: Buffer.from(bytes.subarray(8 + n)) };
}

function writeSafetensors({ header, data }) {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data]);
}

function editedModel(edit) {
  const file = readSafetensors(shipped('model.safetensors'));
  edit(file);
  return writeSafetensors(file);
}

const config = JSON.parse(shipped('config.json'));
const tokenizer = JSON.parse(shipped('tokenizer.json'));

/** Each: the files served instead of the shipped ones, and what the message must say. */
const BROKEN_MODELS = {
  'missing tensor': {
    files: { 'model.safetensors': editedModel(({ header }) => { header['h.0.ln_1.weigth'] = header['h.0.ln_1.weight']; delete header['h.0.ln_1.weight']; }) },
    says: /`h\.0\.ln_1\.weight` is missing/,
  },
  'extra tensor (config says fewer layers)': {
    files: { 'config.json': JSON.stringify({ ...config, n_layer: 1 }) },
    says: /`h\.1\..*` is not part of a GPT-2 with n_layer = 1/,
  },
  'wrong shape': {
    files: { 'model.safetensors': editedModel(({ header }) => { header['wte.weight'].shape.reverse(); }) },
    says: new RegExp(`\`wte\\.weight\` has shape \\[${config.n_embd}, ${config.vocab_size}\\]`),
  },
  'wrong dtype': {
    files: { 'model.safetensors': editedModel(({ header }) => { header['ln_f.bias'].dtype = 'I16'; }) },
    says: /`ln_f\.bias` has dtype I16/,
  },
  'truncated file': {
    files: { 'model.safetensors': shipped('model.safetensors').subarray(0, 600_000) },
    says: /is cut off/,
  },
  'huge header length': {
    files: { 'model.safetensors': (() => { const b = Buffer.from(shipped('model.safetensors')); b.writeBigUInt64LE(1n << 40n, 0); return b; })() },
    says: /not a readable safetensors file/,
  },
  'NaN weight': {
    files: { 'model.safetensors': editedModel(({ header, data }) => { data.writeUInt16LE(0x7e00, header['h.1.ln_2.weight'].data_offsets[0] + 6); }) },
    says: /`h\.1\.ln_2\.weight` holds a non-finite value \(NaN\) at index 3/,
  },
  'Inf weight': {
    files: { 'model.safetensors': editedModel(({ header, data }) => { data.writeUInt16LE(0x7c00, header['wpe.weight'].data_offsets[0]); }) },
    says: /`wpe\.weight` holds a non-finite value \(inf\) at index 0/,
  },
  'config disagrees with the weights': {
    files: { 'config.json': JSON.stringify({ ...config, n_embd: 96 }) },
    says: /has shape .* but config\.json implies/,
  },
  'config not JSON': {
    files: { 'config.json': '<html>404</html>' },
    says: /config\.json is not valid JSON/,
  },
  'tokenizer not JSON': {
    files: { 'tokenizer.json': 'version: 1' },
    says: /tokenizer\.json/,
  },
  'tokenizer of another vocabulary': {
    files: {
      'tokenizer.json': JSON.stringify({
        ...tokenizer,
        added_tokens: [...tokenizer.added_tokens,
          { id: config.vocab_size, content: '<|extra|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
      }),
    },
    // One more token than the model has embeddings for.
    says: new RegExp(`${config.vocab_size + 1} token ids but the model only ${config.vocab_size}; they do not belong together`),
  },
  'a file missing from the folder (HTTP 404)': {
    files: { 'tokenizer.json': null },
    says: /tokenizer\.json: HTTP 404/,
  },
};

for (const [name, { files, says }] of Object.entries(BROKEN_MODELS)) {
  test(`broken model: ${name} — a clear message in Chinese, the text kept, and Retry works once fixed`, async () => {
    broken = Object.fromEntries(Object.entries(files).map(([file, body]) => [
      `${MODEL}${file}`, body === null ? { status: 404, body: 'not found' } : { body },
    ]));
    const text = '小明 喜欢 苹果';
    const page = await openAllowingErrors(`?lang=zh&text=${encodeURIComponent(text)}`);
    try {
      const s = await h.state(page);
      assert.equal(s.error?.kind, 'model', JSON.stringify(s.error));
      assert.equal(await page.isVisible('#error'), true);
      const message = await page.textContent('#error .error-text');
      assert.match(message, /^模型加载失败：/);
      assert.match(message, says);
      assert.equal(await page.textContent('#error strong'), '出了点问题');
      assert.equal(await page.inputValue('#text-input'), text);
      assert.deepEqual(page.errors, [], 'no uncaught exception');

      // The folder is fixed (say, the upload finished): Retry loads it, with the same text.
      broken = {};
      await page.click('#error .error-retry');
      await h.ready(page);
      const after = await h.state(page);
      assert.equal(after.text, text);
      assert.ok(after.tokens.ids.length > 0);
      assert.ok(await barCount(page) > 0);
    } finally {
      broken = {};
      await page.close();
    }
  });
}

test('loading the model fetches exactly its folder\'s three files, all from this origin', async () => {
  const requested = [];
  const listen = (request) => requested.push(request.url());
  env.context.on('request', listen);
  const before = env.requests.length;
  const page = await h.open(env, '?lang=en');
  env.context.off('request', listen);
  const fromServer = env.requests.slice(before);
  const modelFiles = fromServer.filter((p) => p.startsWith('/models/')).sort();
  assert.deepEqual(modelFiles, [`${MODEL}config.json`, `${MODEL}model.safetensors`, `${MODEL}tokenizer.json`]);
  const foreign = requested.filter((u) => !u.startsWith(env.url) && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'no request leaves the origin');
  await page.close();
});
