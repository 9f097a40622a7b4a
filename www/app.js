// A playground's state store and its connection to the engine; and the full page built from one.
//
// All UI state lives in one store. User actions change the store; a change to an engine input
// schedules one request to the worker (while one runs, later changes wait and go together, so
// typing never queues up work), and the worker's answer is written back into the store. Views only read the store and
// call actions. The page mirrors the shareable part of the state in the URL; an
// <attention-playground> element (attention-playground.js) takes it from its attributes. Every
// playground on a page shares one engine (engine-client.js).

import { browserLanguage } from './i18n.js';
import { fromUrl, toUrl } from './url-state.js';
import { mountViews } from './views/index.js';
import { STEP_COUNT } from './views/steps.js';
import { connectEngine, engineDebug } from './engine-client.js';

/** The model a playground shows unless told otherwise. */
export const DEFAULT_MODEL = new URL('./models/default/', import.meta.url).href;
/**
 * The page's two models by name: the GPT and the BERT-style encoder (same blocks, other mask and
 * objective). The encoder's folder is built from its name, not written as a literal URL, because
 * it is no part of the first load (scripts/build-site.mjs counts literal references as such): it
 * loads when the learner first chooses it.
 */
const folder = (name) => new URL(`./models/${name}/`, import.meta.url).href;
export const MODELS = { default: DEFAULT_MODEL, encoder: folder('encoder') };

export const DEFAULTS = {
  text: '小明 喜欢 苹果',
  layer: 0,
  head: 0,
  focus: null, // null = the last token; a number = a token index; a string = a word of the text
  step: 0,
  temperature: 1,
  topK: 0,
  topP: 1,
  seed: 42,
  mask: 'causal',
  modelName: 'default',
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
    /** Returns the function that unsubscribes. */
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const ENGINE_INPUTS = ['text', 'mask', 'layer', 'head', 'focus', 'temperature', 'topK', 'topP'];

/**
 * One playground mounted in `root` (the document, or an element's shadow root). `page` says
 * whether it owns the document (title, language, embed mode). It does no work while inactive
 * (an element far off-screen). `onUserChange(state)` is called after the learner changed it.
 */
export function createPlayground({ root, initial, page = false, active = true, modelUrl = DEFAULT_MODEL, onUserChange = () => {} }) {
  const store = createStore({
    ...DEFAULTS,
    embed: false,
    ...initial,
    lang: initial.lang || browserLanguage(),
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
    fill: null, // the encoder's candidates for each [MASK]
    compareOn: false, // the mask section also runs the sentence through the other model
    compare: null, // that run: { modelName, tokens, steps }
    forwards: 0,
    ms: null,
    lostDevice: false,
    restarted: null, // 'crash' | 'hang': the engine's worker was replaced and the view restored
    generating: false,
    generated: null, // the last Generate: {text, temperature, tokens: [{text, probabilities}]}
    detailKey: null, // the key row whose sum the step-through writes out (null = the focus)
  });

  // A new worker knows no model: load ours again (from the HTTP cache) and ask for the view again.
  const client = connectEngine({ onRestart: (why) => { store.set({ restarted: why }); load(); } });
  let inFlight = null;
  let dirty = false;
  let pending = 0; // a request scheduled, not yet sent
  let loads = 0; // the latest load wins
  let wantsLoad = false; // asked to load while inactive
  let ready = false; // the worker holds our model
  let have = {}; // the worker's names for the pass and views the store holds (see worker.js `update`)

  const engineState = (s) => ({ model: modelUrl, ...Object.fromEntries(ENGINE_INPUTS.map((k) => [k, s[k]])) });
  const prefer = () => (store.get().backend === 'auto' ? null : store.get().backend);
  const failed = (error, kind) => {
    // A replaced worker is not the learner's problem: the restart restores the view.
    if (error.kind !== 'restarted') store.set({ error: { kind: error.kind || kind, message: error.message } });
  };

  /** Ask the worker for a fresh bundle; coalesces changes made while a request is running. */
  function refresh() {
    if (!active) { dirty = true; return Promise.resolve(); }
    if (!ready || store.get().loading) return Promise.resolve();
    if (inFlight) { dirty = true; return inFlight; }
    inFlight = client.call('update', { ...engineState(store.get()), have }).then((bundle) => {
      // Parts the worker left out are unchanged: the store keeps them (and the views, seeing
      // the same objects, keep what they drew).
      const patch = { status: bundle.status, forwards: bundle.forwards, ms: bundle.ms };
      for (const part of ['tokens', 'steps', 'weights', 'stack', 'next', 'fill']) {
        if (bundle[part] !== undefined) patch[part] = bundle[part];
      }
      have = bundle.keys;
      if (bundle.lost) patch.lostDevice = true;
      // A request that failed before (say, a setting the engine refused) is over once one works.
      if (store.get().error?.kind === 'engine') patch.error = null;
      store.set(patch);
      if (store.get().compareOn) refreshCompare();
    }, (error) => failed(error, 'engine')).finally(() => {
      inFlight = null;
      if (dirty) { dirty = false; schedule(); }
    });
    return inFlight;
  }

  /** One request for the changes made in this task (typing sends each keystroke at once; while
   * a request runs, further changes wait for it and go together). */
  function schedule() {
    if (pending) return;
    pending = setTimeout(() => { pending = 0; refresh(); });
  }

  async function settle() {
    while (pending || inFlight) {
      if (inFlight) await inFlight;
      else await new Promise((r) => requestAnimationFrame(r));
    }
  }

  async function load() {
    if (!active) { wantsLoad = true; return; }
    wantsLoad = false;
    const generation = ++loads;
    ready = false;
    have = {}; // a new worker or model: ask for everything
    // What is shown stays until the new answer replaces it (after a restart: the same view).
    store.set({ loading: { phase: 'wasm' }, error: null });
    try {
      const wanted = prefer();
      const { model, status } = await client.load(modelUrl, wanted, (p) => {
        if (generation === loads) store.set({ loading: p });
      });
      if (generation !== loads) return;
      ready = true;
      store.set({ model, status, loading: null });
      // The worker may hold this model already, on another playground's backend; or the
      // backend was changed while loading.
      if (prefer() !== wanted || !onBackend(status, prefer())) await setBackend(store.get().backend);
      else await refresh();
    } catch (error) {
      if (generation !== loads || error.kind === 'restarted') return;
      store.set({ loading: null });
      failed(error, 'model');
    }
  }

  /** Whether the engine runs where `wanted` asks (null: where it chose itself). */
  const onBackend = (status, wanted) => (wanted == null ? status.why !== 'asked' : status.kind === wanted);

  /** Change the state; engine inputs schedule one request. */
  function apply(patch) {
    const before = store.get();
    const next = { ...patch };
    if ('text' in next && next.text !== before.text) Object.assign(next, { focus: next.focus ?? null, detailKey: null });
    store.set(next);
    if (ENGINE_INPUTS.some((k) => k in patch)) schedule();
  }

  async function setBackend(backend) {
    store.set({ backend });
    if (!ready || store.get().loading) return;
    try {
      await settle();
      const status = await client.call('setBackend', { model: modelUrl, prefer: prefer() });
      store.set({ status, lostDevice: false });
      await refresh();
    } catch (error) {
      failed(error, 'engine');
    }
  }

  // Side by side: the same sentence, layer, head and focus through the other model, on a second
  // engine client (a client shows one model), whose files load the first time it is asked for.
  let compareClient = null;
  let comparing = null;
  let compareAgain = false;
  const otherModelName = () => (modelUrl === MODELS.encoder ? 'default' : 'encoder');
  function refreshCompare() {
    if (!active || !store.get().compareOn) return;
    if (comparing) { compareAgain = true; return; }
    const modelName = otherModelName();
    compareClient ??= connectEngine({ onRestart: () => refreshCompare() });
    comparing = compareClient.load(MODELS[modelName], prefer(), () => {})
      .then(() => compareClient.call('update', { ...engineState(store.get()), model: MODELS[modelName], have: {} }))
      .then((bundle) => {
        if (store.get().compareOn) store.set({ compare: { modelName, tokens: bundle.tokens, steps: bundle.steps || null } });
      }, (error) => failed(error, 'engine'))
      .finally(() => {
        comparing = null;
        if (compareAgain) { compareAgain = false; refreshCompare(); }
      });
  }

  /** Show another model folder; its files load the first time it is chosen. */
  function setModel(url) {
    if (url === modelUrl) return;
    modelUrl = url;
    store.set({ model: null, tokens: null, steps: null, weights: null, stack: null, next: null, fill: null, compare: null });
    load();
  }

  const userChanged = () => onUserChange(store.get());
  const actions = {
    set(patch) { apply(patch); userChanged(); },
    step(delta) {
      const step = Math.min(STEP_COUNT - 1, Math.max(0, store.get().step + delta));
      store.set({ step });
      userChanged();
    },
    async setBackend(backend) { await setBackend(backend); userChanged(); },
    /** GPT ⇄ BERT-style encoder, keeping the sentence. */
    setModelName(modelName) {
      if (!MODELS[modelName]) return;
      store.set({ modelName, generating: false });
      setModel(MODELS[modelName]);
      userChanged();
    },
    async generate() {
      if (store.get().generating) return;
      store.set({ generating: true, generated: { text: store.get().text, temperature: store.get().temperature, tokens: [] } });
      try {
        for (let i = 0; i < GENERATE_LIMIT && store.get().generating; i++) {
          await settle();
          const { tokens, model } = store.get();
          if (!tokens || !model || tokens.truncated || tokens.ids.length >= model.n_positions) break;
          const s = store.get();
          const sampled = await client.call('sample', {
            ...engineState(s), seed: s.seed + i,
          });
          if (!store.get().generating) break;
          const run = store.get().generated;
          const added = sampled.text.startsWith(s.text) ? sampled.text.slice(s.text.length) : sampled.text;
          store.set({ generated: { ...run, text: sampled.text, tokens: [...run.tokens, { text: added, probabilities: sampled.probabilities }] } });
          actions.set({ text: sampled.text });
          await settle();
          await new Promise((r) => setTimeout(r, 180)); // let the new chip's animation be seen
        }
      } catch (error) {
        failed(error, 'engine');
      } finally {
        store.set({ generating: false });
      }
    },
    stop: () => store.set({ generating: false }),
    compare(on) {
      store.set({ compareOn: on, compare: null });
      refreshCompare();
    },
    dismissError: () => store.set({ error: null, lostDevice: false, restarted: null }),
    dismissLinkNotes: () => store.set({ linkNotes: [] }),
    retry: () => load(),
  };

  const unmount = mountViews(root, store, actions, { page });
  load();
  return {
    store,
    actions,
    settle,
    /** The engine's raw methods for this playground's model (tests, the curious). */
    call: (method, args) => client.call(method, { model: modelUrl, ...args }),
    apply,
    setBackend,
    setModel,
    /** Near the viewport or not: an inactive playground sends nothing to the engine. */
    setActive(near) {
      if (active === near) return;
      active = near;
      if (!active) return;
      if (wantsLoad) load();
      else if (dirty) { dirty = false; schedule(); }
    },
    /** Removed from the page: give back the engine client; nothing more is sent. */
    destroy() {
      active = false;
      loads++;
      clearTimeout(pending);
      pending = 0;
      unmount();
      client.release();
      compareClient?.release();
    },
  };
}

/** The full page: state from the link, kept in the link. */
export function start(root = document) {
  const { state: fromLink, notes: linkNotes, embed } = fromUrl(location.search);
  // linkNotes: what the link asked for that could not be used as is (shown once, dismissible).
  const playground = createPlayground({
    root, initial: { ...fromLink, embed, linkNotes }, page: true, modelUrl: MODELS[fromLink.modelName ?? DEFAULTS.modelName],
  });
  const { store } = playground;

  // Keep the URL shareable: replace (not push) so typing does not flood the history, and only
  // once the learner pauses (a replaceState costs a few milliseconds, a keystroke's budget).
  const URL_PAUSE_MS = 250;
  let urlTimer = 0;
  store.subscribe(() => {
    clearTimeout(urlTimer);
    urlTimer = setTimeout(() => {
      urlTimer = 0;
      const url = toUrl(store.get(), DEFAULTS, location.pathname);
      if (url !== location.search && !(url === location.pathname && !location.search)) {
        history.replaceState(null, '', url);
      }
    }, URL_PAUSE_MS);
  });

  // The lessons, in the language the learner reads.
  const lessons = document.getElementById('lessons-link');
  const lessonsInLanguage = () => {
    const search = `?lang=${store.get().lang}`;
    if (lessons.search !== search) lessons.search = search;
  };
  if (lessons) { lessonsInLanguage(); store.subscribe(lessonsInLanguage); }

  // For tests and the curious: the store, raw engine calls, and the shared engine's counters.
  window.__playground = { ...playground, engine: engineDebug };
  return playground;
}
