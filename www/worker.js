// The engine's home: a module worker that owns the wasm `Playground`, so the page never freezes.
// It downloads the model (reporting progress), runs forward passes only when the text or mask
// changed, and answers each request with everything the views need — all numbers come from the
// engine; nothing is computed here.
//
// One worker serves every playground on the page (www/engine-client.js): it keeps one Playground
// per model URL, and each request names the model and carries the whole state it needs.
//
// Protocol: the page posts {id, method, args}; the worker answers {id, result} or
// {id, error: {kind, message}}, and posts {id, progress: {...}} while that request loads.

import init, { Playground, RnnLesson } from './pkg/attention_playground.js';

/** Model URL → { playground, cached: text and mask of its last forward pass, its tokens and version }. */
const models = new Map();
/** Recurrent-net URL → its wasm `RnnLesson` (lessons, chapter 3). */
const rnns = new Map();
const noForward = () => ({ text: null, mask: null, tokens: null, version: null });
/** Names each forward pass, unlike any pass of an earlier worker a page may still hold. */
const WORKER_ID = Math.random().toString(36).slice(2);
let passes = 0;
/** Candidates shown for each [MASK]. */
const FILL_CANDIDATES = 5;
/** The wasm module's exports, for its memory's size. */
let wasm = null;

class WorkerError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/** Fetch several files, reporting combined bytes as they arrive. */
async function download(urls, progress) {
  const responses = await Promise.all(urls.map(async (url) => {
    const response = await fetch(url);
    if (!response.ok) throw new WorkerError('model', `${url}: HTTP ${response.status}`);
    return response;
  }));
  const sizes = responses.map((r) => Number(r.headers.get('content-length')) || 0);
  const total = sizes.every((s) => s > 0) && !responses.some((r) => r.headers.get('content-encoding'))
    ? sizes.reduce((a, b) => a + b, 0) : 0;
  let done = 0;
  return Promise.all(responses.map(async (response) => {
    const reader = response.body.getReader();
    const chunks = [];
    for (;;) {
      const { value, done: finished } = await reader.read();
      if (finished) break;
      chunks.push(value);
      done += value.length;
      progress({ phase: 'model', done, total });
    }
    const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let offset = 0;
    for (const c of chunks) { bytes.set(c, offset); offset += c.length; }
    return bytes;
  }));
}

/** The wasm module, instantiated once (init() answers at once after the first time). */
async function startWasm() {
  try {
    wasm = await init();
  } catch (e) {
    throw new WorkerError('wasm', String(e.message || e));
  }
}

/** `build()`'s result; a failure is the model's (a broken or unreadable file), said as such. */
async function asModelError(build) {
  try {
    return await build();
  } catch (e) {
    throw new WorkerError('model', String(e.message || e));
  }
}

async function load({ modelUrl, prefer }, progress) {
  const known = models.get(modelUrl);
  if (known) return { model: known.playground.model(), status: known.playground.status() };
  progress({ phase: 'wasm' });
  await startWasm();
  const [config, weights, tokenizer] = await download(
    ['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => new URL(f, modelUrl).href),
    progress,
  );
  progress({ phase: 'start' });
  const text = new TextDecoder();
  const playground = await asModelError(() => Playground.load(text.decode(config), weights, text.decode(tokenizer), prefer || undefined));
  models.set(modelUrl, { playground, cached: noForward() });
  return { model: playground.model(), status: playground.status() };
}

function loaded(modelUrl) {
  const entry = models.get(modelUrl);
  if (!entry) throw new WorkerError('engine', 'the engine is not loaded');
  return entry;
}

/**
 * Run the forward pass if the text or mask changed. The engine itself replaces a lost GPU by the
 * CPU and retries; a backend that changed under us is how we learn it happened.
 */
async function ensureForward({ playground, cached }, text, mask) {
  if (cached.text === text && cached.mask === mask) return { lost: false };
  const before = playground.status().kind;
  cached.tokens = await playground.run(text, mask);
  cached.text = text;
  cached.mask = mask;
  cached.version = `${WORKER_ID}.${++passes}`;
  return { lost: before === 'gpu' && playground.status().kind !== 'gpu' };
}

/**
 * The focus token: an index (clamped), null for the last token, or a word of the text — the
 * last token of that word's first occurrence, i.e. the last token of the text up to its end.
 */
function focusIndex(playground, focus, text, count) {
  const clamp = (i) => Math.min(Math.max(0, i), count - 1);
  if (typeof focus === 'string') {
    const at = focus === '' ? -1 : text.indexOf(focus);
    return at < 0 ? count - 1 : clamp(playground.tokenize(text.slice(0, at + focus.length)).total - 1);
  }
  return focus == null ? count - 1 : clamp(focus);
}

/**
 * What the views show for one state of the page, less what the page already holds: `have` names
 * the pass and the views it has (as `keys` of an earlier answer said), and a part left out of
 * the answer is unchanged. A temperature change thus sends only the probabilities, never the
 * (L, NH, T, T) attention weights again. A part that is null has nothing to show.
 */
async function update({ model: modelUrl, text, mask, layer, head, focus, temperature, topK, topP, have = {} }) {
  const started = performance.now();
  const entry = loaded(modelUrl);
  const { playground, cached } = entry;
  const model = playground.model();
  // The encoder was trained seeing both ways: it always runs with the mask it learned.
  const encoder = model.attention_mask === 'bidirectional';
  const { lost } = await ensureForward(entry, text, encoder ? 'bidirectional' : mask);
  const tokens = cached.tokens;
  const fresh = have.version !== cached.version;
  const count = tokens.ids.length;
  const keys = { version: cached.version, steps: null, stack: null, next: null };
  const bundle = { keys, lost, status: playground.status(), forwards: playground.forwards() };
  if (fresh) Object.assign(bundle, { tokens, weights: null, steps: null, stack: null, next: null, fill: null });
  if (count > 0) {
    const l = Math.min(Math.max(0, layer), model.n_layer - 1);
    const h = Math.min(Math.max(0, head), model.n_head - 1);
    const f = focusIndex(playground, focus, text, count);
    Object.assign(keys, { steps: `${l},${h},${f}`, stack: f, next: `${temperature},${topK},${topP}` });
    if (fresh) bundle.weights = playground.attentionWeights();
    if (fresh || have.steps !== keys.steps) bundle.steps = playground.headSteps(l, h, f);
    if (fresh || have.stack !== keys.stack) bundle.stack = playground.residualStream(f);
    if (fresh || have.next !== keys.next) bundle.next = playground.probabilities(temperature, topK, topP, 10);
    if (encoder && fresh) {
      const maskId = playground.tokenize(model.mask_token).ids[0];
      bundle.fill = tokens.ids.includes(maskId) ? playground.fill(FILL_CANDIDATES) : { masks: [] };
    }
  }
  bundle.ms = performance.now() - started;
  return bundle;
}

const METHODS = {
  load,
  update,
  /** Sample after this text: another playground may have run a different one since. */
  sample: async ({ model, text, mask, temperature, topK, topP, seed }) => {
    const entry = loaded(model);
    await ensureForward(entry, text, mask);
    return entry.playground.sample(temperature, topK, topP, seed >>> 0);
  },
  /** No playground shows this model any more: give its memory back. */
  unload: ({ modelUrl }) => {
    models.get(modelUrl)?.playground.free();
    models.delete(modelUrl);
  },
  setBackend: async ({ model, prefer }) => {
    const entry = loaded(model);
    const status = await entry.playground.setBackend(prefer || undefined);
    entry.cached = noForward();
    return status;
  },
  // Lesson chapter 4: self-attention in layers. The tokens, every attention weight and the
  // layers view (contributions, head patterns, the logit lens at the focus token) of one pass.
  lessonLayers: async ({ model: modelUrl, text, focus, top = 5 }) => {
    const entry = loaded(modelUrl);
    const { playground, cached } = entry;
    await ensureForward(entry, text, playground.model().attention_mask);
    const count = cached.tokens.ids.length;
    if (count === 0) return { tokens: cached.tokens, weights: null, layers: null };
    const f = focusIndex(playground, focus, text, count);
    return { tokens: cached.tokens, weights: playground.attentionWeights(), layers: playground.layers(f, top) };
  },
  // Lesson chapter 5: BERT and GPT. The model's own pass over the text (its mask in `tokens`),
  // and either the [MASK] candidates (encoder) or the next-token probabilities after `position`
  // (GPT; null = the last token), so both models are asked about the same blank.
  lessonBlank: async ({ model: modelUrl, text, position = null, top = 5 }) => {
    const entry = loaded(modelUrl);
    const { playground, cached } = entry;
    const model = playground.model();
    const encoder = model.attention_mask === 'bidirectional';
    await ensureForward(entry, text, model.attention_mask);
    const { tokens } = cached;
    const count = tokens.ids.length;
    if (count === 0) return { tokens, fill: null, next: null };
    if (encoder) {
      const maskId = playground.tokenize(model.mask_token).ids[0];
      return { tokens, fill: tokens.ids.includes(maskId) ? playground.fill(top) : { masks: [] }, next: null };
    }
    const at = position == null ? count - 1 : Math.min(Math.max(0, position), count - 1);
    return { tokens, fill: null, next: playground.probabilitiesAt(at, 1, 0, 1, top) };
  },
  // Lesson chapter 1: attention is alignment.
  /** Every head's score on the held-out pairs (`set`: the text of alignment-pairs.json), computed once per model. */
  alignmentScores: async ({ model, set }) => {
    const entry = loaded(model);
    if (entry.alignmentSet !== set) {
      entry.alignmentScores = await entry.playground.alignmentScores(set);
      entry.alignmentSet = set;
    }
    return entry.alignmentScores;
  },
  /** One head's English-words × Chinese-words matrix for a pair (reading: 'predicting' | 'own'). */
  alignment: async ({ model, text, layer, head, reading }) => {
    const entry = loaded(model);
    await ensureForward(entry, text, 'causal');
    return entry.playground.alignment(text, layer, head, reading);
  },
  // Lesson chapter 7: prompts and in-context learning.
  /** The sentence with `|`, without, and with `=`: next-token shares, top tokens, greedy continuation. */
  promptFormats: ({ model, text }) => loaded(model).playground.promptFormats(text),
  /** N random tokens (seeded) repeated: every head's pattern scores and the first vs second pass probabilities. */
  induction: ({ model, seed, length }) => loaded(model).playground.induction(seed >>> 0, length),
  // Lesson chapter 3: RNN vs attention. The recurrent net is fetched only when the chapter asks
  // for it (its config.json names the GPT's tokenizer, which it reads from there); `influence`
  // answers both models for one text: how much each token sways the next-token prediction.
  loadRnn: async ({ rnnUrl }, progress) => {
    const known = rnns.get(rnnUrl);
    if (known) return known.model();
    await startWasm();
    const [configBytes, weights] = await download(['config.json', 'model.safetensors'].map((f) => new URL(f, rnnUrl).href), progress);
    const config = new TextDecoder().decode(configBytes);
    let tokenizerUrl;
    try {
      tokenizerUrl = new URL(JSON.parse(config).tokenizer || 'tokenizer.json', rnnUrl).href;
    } catch (e) {
      throw new WorkerError('model', `the recurrent net's config.json: ${e.message}`);
    }
    const [tokenizer] = await download([tokenizerUrl], progress);
    const rnn = await asModelError(() => RnnLesson.load(config, weights, new TextDecoder().decode(tokenizer)));
    rnns.set(rnnUrl, rnn);
    return rnn.model();
  },
  influence: async ({ model, rnnUrl, text }) => {
    const rnn = rnns.get(rnnUrl);
    if (!rnn) throw new WorkerError('engine', 'the recurrent net is not loaded');
    return { gpt: await loaded(model).playground.influence(text), rnn: rnn.influence(text) };
  },
  // For tests: the engine's own numbers straight from the wasm API, and failures on demand — a
  // lost GPU, a worker that dies (an uncaught error, after answering) and one that hangs.
  debugHeadSteps: ({ model, layer, head, focus }) => loaded(model).playground.headSteps(layer, head, focus),
  // For the soak test: the wasm memory's size (it only ever grows, so a leak shows).
  debugMemory: () => ({ wasmBytes: wasm.memory.buffer.byteLength }),
  debugLoseDevice: ({ model }) => {
    const entry = loaded(model);
    entry.playground.simulateDeviceLoss();
    entry.cached = noForward();
  },
  debugCrash: () => { setTimeout(() => { throw new Error('debugCrash: the worker died on purpose'); }); },
  debugHang: () => { setTimeout(() => { for (;;); }); },

  // Lesson chapter 2: Q, K, V — which tokens make up each word (each run of non-spaces) of the
  // text, so the lesson can speak of 苹果 where the model sees 苹 and 果. A space the tokenizer
  // keeps as a token of its own belongs to no word.
  lessonWords: ({ model, text }) => {
    const { playground } = loaded(model);
    const display = playground.tokenize(text).display;
    const words = [];
    let next = 0;
    for (const match of text.matchAll(/\S+/g)) {
      const last = Math.min(playground.tokenize(text.slice(0, match.index + match[0].length)).total, display.length) - 1;
      let first = next;
      while (first < last && display[first].trim() === '') first++;
      if (last >= first) words.push({ word: match[0], first, last });
      next = last + 1;
    }
    return words;
  },
};

// One request at a time, in order: the engine holds a single cached forward pass.
let queue = Promise.resolve();
self.onmessage = ({ data: { id, method, args } }) => {
  queue = queue.then(async () => {
    try {
      if (!METHODS[method]) throw new WorkerError('engine', `unknown method ${method}`);
      const result = await METHODS[method](args || {}, (progress) => postMessage({ id, progress }));
      const transfer = result && result.weights instanceof Float32Array ? [result.weights.buffer] : [];
      postMessage({ id, result }, transfer);
    } catch (e) {
      postMessage({ id, error: { kind: e.kind || 'engine', message: String(e.message || e) } });
    }
  });
};
