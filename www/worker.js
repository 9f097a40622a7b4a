// The engine's home: a module worker that owns the wasm `Playground`, so the page never freezes.
// It downloads the model (reporting progress), runs forward passes only when the text or mask
// changed, and answers each request with everything the views need — all numbers come from the
// engine; nothing is computed here.
//
// Protocol: the page posts {id, method, args}; the worker answers {id, result} or
// {id, error: {kind, message}}, and posts {progress: {...}} while loading.

import init, { Playground } from './pkg/attention_playground.js';

let playground = null;
/** The wasm module's exports, for its memory's size. */
let wasm = null;
/** Text and mask of the cached forward pass; a new pass runs only when they change. */
let cached = { text: null, mask: null, tokens: null };

class WorkerError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

function progress(fields) {
  postMessage({ progress: fields });
}

/** Fetch several files, reporting combined bytes as they arrive. */
async function download(urls) {
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

async function load({ modelUrl, prefer }) {
  progress({ phase: 'wasm' });
  try {
    wasm = await init();
  } catch (e) {
    throw new WorkerError('wasm', String(e.message || e));
  }
  const [config, weights, tokenizer] = await download(
    ['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => new URL(f, modelUrl).href),
  );
  progress({ phase: 'start' });
  const text = new TextDecoder();
  try {
    playground = await Playground.load(text.decode(config), weights, text.decode(tokenizer), prefer || undefined);
  } catch (e) {
    throw new WorkerError('model', String(e.message || e));
  }
  cached = { text: null, mask: null, tokens: null };
  return { model: playground.model(), status: playground.status() };
}

/**
 * Run the forward pass if the text or mask changed. The engine itself replaces a lost GPU by the
 * CPU and retries; a backend that changed under us is how we learn it happened.
 */
async function ensureForward(text, mask) {
  if (cached.text === text && cached.mask === mask) return { lost: false };
  const before = playground.status().kind;
  cached.tokens = await playground.run(text, mask);
  cached.text = text;
  cached.mask = mask;
  return { lost: before === 'gpu' && playground.status().kind !== 'gpu' };
}

/** Everything the views show for one state of the page. */
async function update({ text, mask, layer, head, focus, temperature, topK, topP }) {
  const started = performance.now();
  const { lost } = await ensureForward(text, mask);
  const tokens = cached.tokens;
  const bundle = { tokens, lost, status: playground.status(), forwards: playground.forwards() };
  const count = tokens.ids.length;
  if (count > 0) {
    const model = playground.model();
    const l = Math.min(Math.max(0, layer), model.n_layer - 1);
    const h = Math.min(Math.max(0, head), model.n_head - 1);
    const f = focus == null ? count - 1 : Math.min(Math.max(0, focus), count - 1);
    bundle.steps = playground.headSteps(l, h, f);
    bundle.weights = playground.attentionWeights();
    bundle.stack = playground.residualStream(f);
    bundle.next = playground.probabilities(temperature, topK, topP, 10);
  }
  bundle.ms = performance.now() - started;
  return bundle;
}

const METHODS = {
  load,
  update,
  sample: ({ temperature, topK, topP, seed }) => playground.sample(temperature, topK, topP, seed >>> 0),
  setBackend: async ({ prefer }) => {
    const status = await playground.setBackend(prefer || undefined);
    cached = { text: null, mask: null, tokens: null };
    return status;
  },
  // For tests: the engine's own numbers straight from the wasm API, and a GPU failure on demand.
  debugHeadSteps: ({ layer, head, focus }) => playground.headSteps(layer, head, focus),
  // For the soak test: the wasm memory's size (it only ever grows, so a leak shows).
  debugMemory: () => ({ wasmBytes: wasm.memory.buffer.byteLength }),
  debugLoseDevice: () => {
    playground.simulateDeviceLoss();
    cached = { text: null, mask: null, tokens: null };
  },
};

// One request at a time, in order: the engine holds a single cached forward pass.
let queue = Promise.resolve();
self.onmessage = ({ data: { id, method, args } }) => {
  queue = queue.then(async () => {
    try {
      if (!METHODS[method]) throw new WorkerError('engine', `unknown method ${method}`);
      if (method !== 'load' && !playground) throw new WorkerError('engine', 'the engine is not loaded');
      const result = await METHODS[method](args || {});
      const transfer = result && result.weights instanceof Float32Array ? [result.weights.buffer] : [];
      postMessage({ id, result }, transfer);
    } catch (e) {
      postMessage({ id, error: { kind: e.kind || 'engine', message: String(e.message || e) } });
    }
  });
};
