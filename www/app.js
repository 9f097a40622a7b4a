// The page's state store and its one connection to the engine.
//
// All UI state lives in one store. User actions change the store; a change to an engine input
// schedules one request to the worker at the next animation frame (so typing never queues up
// work), and the worker's answer is written back into the store. Views only read the store and
// call actions; the URL mirrors the shareable part of the state.

import { browserLanguage } from './i18n.js';
import { fromUrl, toUrl } from './url-state.js';
import { mountViews } from './views/index.js';
import { STEP_COUNT } from './views/steps.js';

const DEFAULTS = {
  text: '小明 喜欢 苹果',
  layer: 0,
  head: 0,
  focus: null, // null = the last token
  step: 0,
  temperature: 1,
  topK: 0,
  topP: 1,
  seed: 42,
  mask: 'causal',
  lang: null, // null = the browser's
  backend: 'auto',
};
const GENERATE_LIMIT = 20;

function createStore(initial) {
  let state = initial;
  const listeners = new Set();
  return {
    get: () => state,
    set(patch) {
      state = { ...state, ...patch };
      for (const listener of listeners) listener(state);
    },
    subscribe: (listener) => listeners.add(listener),
  };
}

/** Promise-based calls into the worker. */
function connectWorker(onProgress) {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const pending = new Map();
  let nextId = 1;
  worker.onmessage = ({ data }) => {
    if (data.progress) { onProgress(data.progress); return; }
    const call = pending.get(data.id);
    pending.delete(data.id);
    if (data.error) call.reject(Object.assign(new Error(data.error.message), { kind: data.error.kind }));
    else call.resolve(data.result);
  };
  worker.onerror = (event) => {
    for (const call of pending.values()) call.reject(Object.assign(new Error(event.message || 'worker failed'), { kind: 'wasm' }));
    pending.clear();
  };
  return {
    call(method, args) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, method, args });
      });
    },
    terminate: () => worker.terminate(),
  };
}

const ENGINE_INPUTS = ['text', 'mask', 'layer', 'head', 'focus', 'temperature', 'topK', 'topP'];

export function start(root = document) {
  const { state: fromLink, notes: linkNotes, embed } = fromUrl(location.search);
  const store = createStore({
    ...DEFAULTS,
    ...fromLink,
    lang: fromLink.lang || browserLanguage(),
    embed,
    linkNotes, // what the link asked for that could not be used as is (shown once, dismissible)
    // Filled by the engine; views read them.
    loading: { phase: 'wasm' },
    error: null,
    model: null,
    status: null,
    tokens: null,
    steps: null,
    weights: null,
    stack: null,
    next: null,
    forwards: 0,
    ms: null,
    lostDevice: false,
    generating: false,
    detailKey: null, // the key row whose sum the step-through writes out (null = the focus)
  });

  let engine = null;
  let inFlight = null;
  let dirty = false;
  let frame = 0;

  const engineState = (s) => Object.fromEntries(ENGINE_INPUTS.map((k) => [k, s[k]]));

  /** Ask the worker for a fresh bundle; coalesces changes made while a request is running. */
  function refresh() {
    if (!engine || store.get().loading) return Promise.resolve();
    if (inFlight) { dirty = true; return inFlight; }
    const request = engineState(store.get());
    inFlight = engine.call('update', request).then((bundle) => {
      const patch = {
        tokens: bundle.tokens,
        steps: bundle.steps || null,
        weights: bundle.weights || null,
        stack: bundle.stack || null,
        next: bundle.next || null,
        status: bundle.status,
        forwards: bundle.forwards,
        ms: bundle.ms,
      };
      if (bundle.lost) patch.lostDevice = true;
      // A request that failed before (say, a setting the engine refused) is over once one works.
      if (store.get().error?.kind === 'engine') patch.error = null;
      store.set(patch);
    }, (error) => {
      store.set({ error: { kind: error.kind || 'engine', message: error.message } });
    }).finally(() => {
      inFlight = null;
      if (dirty) { dirty = false; schedule(); }
    });
    return inFlight;
  }

  function schedule() {
    if (frame) return;
    frame = requestAnimationFrame(() => { frame = 0; refresh(); });
  }

  async function settle() {
    while (frame || inFlight) {
      if (inFlight) await inFlight;
      else await new Promise((r) => requestAnimationFrame(r));
    }
  }

  async function load() {
    engine?.terminate();
    store.set({ loading: { phase: 'wasm' }, error: null });
    engine = connectWorker((p) => store.set({ loading: p }));
    try {
      const { model, status } = await engine.call('load', {
        modelUrl: new URL('models/default/', location.href).href,
        prefer: store.get().backend === 'auto' ? null : store.get().backend,
      });
      store.set({ model, status, loading: null });
      await refresh();
    } catch (error) {
      store.set({ loading: null, error: { kind: error.kind || 'model', message: error.message } });
    }
  }

  const actions = {
    set(patch) {
      const before = store.get();
      const next = { ...patch };
      if ('text' in next && next.text !== before.text) Object.assign(next, { focus: null, detailKey: null });
      store.set(next);
      if (ENGINE_INPUTS.some((k) => k in patch)) schedule();
    },
    step(delta) {
      const step = Math.min(STEP_COUNT - 1, Math.max(0, store.get().step + delta));
      store.set({ step });
    },
    async setBackend(backend) {
      store.set({ backend });
      if (!engine || store.get().loading) return;
      try {
        await settle();
        const status = await engine.call('setBackend', { prefer: backend === 'auto' ? null : backend });
        store.set({ status, lostDevice: false });
        await refresh();
      } catch (error) {
        store.set({ error: { kind: 'engine', message: error.message } });
      }
    },
    async generate() {
      if (store.get().generating) return;
      store.set({ generating: true });
      try {
        for (let i = 0; i < GENERATE_LIMIT && store.get().generating; i++) {
          await settle();
          const { tokens, model } = store.get();
          if (!tokens || tokens.truncated || tokens.ids.length >= model.n_positions) break;
          const s = store.get();
          const sampled = await engine.call('sample', {
            temperature: s.temperature, topK: s.topK, topP: s.topP, seed: s.seed + i,
          });
          if (!store.get().generating) break;
          actions.set({ text: sampled.text });
          await settle();
          await new Promise((r) => setTimeout(r, 180)); // let the new chip's animation be seen
        }
      } catch (error) {
        store.set({ error: { kind: 'engine', message: error.message } });
      } finally {
        store.set({ generating: false });
      }
    },
    stop: () => store.set({ generating: false }),
    dismissError: () => store.set({ error: null, lostDevice: false }),
    dismissLinkNotes: () => store.set({ linkNotes: [] }),
    retry: () => load(),
  };

  // Keep the URL shareable: replace (not push) so typing does not flood the history.
  let urlFrame = 0;
  store.subscribe(() => {
    if (urlFrame) return;
    urlFrame = requestAnimationFrame(() => {
      urlFrame = 0;
      const url = toUrl(store.get(), DEFAULTS, location.pathname);
      if (url !== location.search && !(url === location.pathname && !location.search)) {
        history.replaceState(null, '', url);
      }
    });
  });

  mountViews(root, store, actions);
  // For tests and the curious: the store and raw engine calls.
  window.__playground = { store, actions, call: (m, a) => engine.call(m, a), settle };
  load();
  return { store, actions };
}
