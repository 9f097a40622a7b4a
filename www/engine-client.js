// The page's one engine: a single module worker — so one wasm instance and one copy of each model —
// shared by every playground on the page (the full page and each <attention-playground>).
//
// Each playground holds a client. Requests from all clients are multiplexed over the one worker
// by request id; a client only ever sees answers to its own requests. A watchdog watches the
// worker: if it crashes (an uncaught error) or stays silent past a deadline while requests are
// pending (a hang), it is terminated and a new one started, and every client is told why so it
// can reload its model (from the HTTP cache) and ask again for the view it shows. Its state
// lives in the page's store, so nothing the learner set is lost. A model no client shows any
// more is freed a few seconds later, and the worker when no client is left.
//
// Protocol with worker.js: {id, method, args} → {id, result} | {id, error: {kind, message}} |
// {id, progress} while that request loads a model.

/** How long the worker may stay silent while requests wait. Loading may download a model. */
const SILENCE_LIMIT_MS = { load: 120_000, other: 30_000 };
/** More restarts than this within RESTART_WINDOW_MS means the worker cannot run here. */
const RESTART_LIMIT = 3;
const RESTART_WINDOW_MS = 60_000;
/** A model (or worker) no client needs is kept this long: a widget changing its view keeps it. */
const IDLE_MS = 5_000;

function engineError(kind, message) {
  return Object.assign(new Error(message), { kind });
}

class Engine {
  constructor() {
    this.worker = null;
    this.clients = new Set();
    this.pending = new Map(); // id → {client, method, resolve, reject, onProgress}
    this.models = new Map(); // model URL → Promise of its load answer, for this worker
    this.users = new Map(); // model URL → the clients that show it (each client shows one)
    this.nextId = 1;
    this.watchdog = 0;
    this.sweepTimer = 0;
    this.restartTimes = [];
    this.silenceLimitMs = null; // tests may shorten the deadline
    this.counts = { workers: 0, restarts: 0 };
  }

  ensureWorker() {
    if (this.worker) return;
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.counts.workers++;
    this.worker.onmessage = ({ data }) => this.receive(data);
    this.worker.onerror = (event) => {
      event.preventDefault();
      this.replaceWorker('crash', event.message || 'the worker failed to start');
    };
    this.worker.onmessageerror = () => this.replaceWorker('crash', 'a message could not be read');
  }

  receive(data) {
    const call = this.pending.get(data.id);
    if (call && data.progress) call.onProgress?.(data.progress);
    else if (call) {
      this.pending.delete(data.id);
      if (data.error) call.reject(engineError(data.error.kind, data.error.message));
      else call.resolve(data.result);
    }
    this.armWatchdog();
  }

  /** (Re)start the silence deadline; any message from the worker proves it is alive. */
  armWatchdog() {
    clearTimeout(this.watchdog);
    this.watchdog = 0;
    if (this.pending.size === 0) return;
    const loading = [...this.pending.values()].some((c) => c.method === 'load');
    const limit = this.silenceLimitMs ?? SILENCE_LIMIT_MS[loading ? 'load' : 'other'];
    this.watchdog = setTimeout(() => this.replaceWorker('hang', `no answer for ${limit} ms`), limit);
  }

  send(client, method, args, onProgress) {
    this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { client, method, resolve, reject, onProgress });
      if (this.pending.size === 1) this.armWatchdog();
      this.worker.postMessage({ id, method, args });
    });
  }

  /** Load a model once per worker, however many clients ask for it. */
  load(client, modelUrl, prefer, onProgress) {
    this.stopUsing(client, modelUrl);
    if (!this.users.has(modelUrl)) this.users.set(modelUrl, new Set());
    this.users.get(modelUrl).add(client);
    let loading = this.models.get(modelUrl);
    if (!loading) {
      const listeners = new Set();
      // Sent on behalf of every client that waits for it, so releasing one does not drop it.
      loading = this.send(null, 'load', { modelUrl, prefer }, (p) => { for (const l of listeners) l(p); });
      loading.listeners = listeners;
      loading.catch(() => { if (this.models.get(modelUrl) === loading) this.models.delete(modelUrl); });
      this.models.set(modelUrl, loading);
    }
    loading.listeners.add(onProgress);
    const forget = () => loading.listeners.delete(onProgress);
    loading.then(forget, forget);
    return loading;
  }

  /** The client no longer shows its model (other than `keep`); the sweep frees what nobody shows. */
  stopUsing(client, keep = null) {
    for (const [modelUrl, clients] of this.users) {
      if (modelUrl !== keep && clients.delete(client) && clients.size === 0) this.users.delete(modelUrl);
    }
    clearTimeout(this.sweepTimer);
    this.sweepTimer = setTimeout(() => this.sweep(), IDLE_MS);
  }

  /** Free the models no client shows, and the worker when no client is left. */
  sweep() {
    if (!this.worker) return;
    if (this.clients.size === 0) {
      this.worker.terminate();
      this.worker = null;
      this.models.clear();
      this.pending.clear();
      this.armWatchdog();
      return;
    }
    for (const modelUrl of this.models.keys()) {
      if (this.users.has(modelUrl)) continue;
      this.models.delete(modelUrl);
      this.send(null, 'unload', { modelUrl });
    }
  }

  /** A crashed or hung worker: start another and let every client restore its view. */
  replaceWorker(why, detail) {
    if (!this.worker) return;
    this.worker.terminate();
    this.worker = null;
    clearTimeout(this.watchdog);
    this.watchdog = 0;
    this.models.clear();
    const waiting = [...this.pending.values()];
    this.pending.clear();
    const now = performance.now();
    this.restartTimes = this.restartTimes.filter((t) => now - t < RESTART_WINDOW_MS).concat(now);
    const givingUp = this.restartTimes.length > RESTART_LIMIT;
    for (const call of waiting) {
      call.reject(givingUp ? engineError('wasm', detail) : engineError('restarted', detail));
    }
    if (givingUp) return;
    this.counts.restarts++;
    for (const client of this.clients) client.onRestart?.(why);
  }

  release(client) {
    this.clients.delete(client);
    for (const call of this.pending.values()) {
      // Its answers are no longer wanted; the worker still answers in order.
      if (call.client === client) Object.assign(call, { resolve() {}, reject() {}, onProgress: null });
    }
    this.stopUsing(client);
  }
}

let shared = null;

/**
 * A connection to the page's shared engine. `onRestart(why)` ('crash' | 'hang') is called when
 * the worker had to be replaced; the client must then load its model again.
 */
export function connectEngine({ onRestart } = {}) {
  shared ??= new Engine();
  const engine = shared;
  const client = {
    onRestart,
    load: (modelUrl, prefer, onProgress) => engine.load(client, modelUrl, prefer, onProgress),
    call: (method, args) => engine.send(client, method, args),
    release: () => engine.release(client),
  };
  engine.clients.add(client);
  return client;
}

/** For tests and the curious: workers started, restarts, clients, models held, and the deadline. */
export const engineDebug = {
  stats: () => ({
    ...(shared?.counts ?? { workers: 0, restarts: 0 }),
    clients: shared?.clients.size ?? 0,
    models: [...(shared?.models.keys() ?? [])],
    running: Boolean(shared?.worker),
  }),
  setSilenceLimit(ms) { shared ??= new Engine(); shared.silenceLimitMs = ms; },
};
