// A lesson-long session in a few minutes: 10 000 edits, three per animation frame (faster than
// anyone types, so the page also coalesces edits into fewer engine requests), typing and
// deleting English and Chinese with the mask and temperature changed now and then. After a
// warm-up, the wasm memory and the JS heaps of the page and of the engine's worker (measured
// through the DevTools protocol after a forced GC) must stop growing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';

const EDITS = 10_000;
const CHUNK = 1000;
const WARM_UP_CHUNKS = 2;
const EDITS_PER_FRAME = 3;
/** Heaps may wobble this much over their size after the warm-up (fraction, and bytes). */
const HEAP_SLACK = { fraction: 0.1, bytes: 1 << 20 };
/**
 * Wasm memory grows in 64 KiB pages and never shrinks; the allocator may take a page or four
 * more as sizes interleave. A leak of even 64 bytes an edit would pass this in 8000 edits.
 */
const WASM_SLACK = 512 << 10;

let env;
before(async () => { env = await h.start(); });
after(async () => { await env?.stop(); });

/** DevTools protocol calls into the page and, through Target.sendMessageToTarget, its worker. */
async function inspect(page) {
  const cdp = await env.context.newCDPSession(page);
  const { targetInfos } = await cdp.send('Target.getTargets');
  const worker = targetInfos.find((t) => t.type === 'worker' && t.url.endsWith('/worker.js'));
  assert.ok(worker, 'the engine worker is running');
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false });
  let nextId = 1;
  const waiting = new Map();
  cdp.on('Target.receivedMessageFromTarget', ({ message }) => {
    const reply = JSON.parse(message);
    waiting.get(reply.id)?.(reply.result);
    waiting.delete(reply.id);
  });
  const inWorker = (method) => new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, resolve);
    cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) });
  });
  return async function measure() {
    await h.settle(page);
    await cdp.send('HeapProfiler.collectGarbage');
    await inWorker('HeapProfiler.collectGarbage');
    const [pageHeap, workerHeap, { wasmBytes }] = await Promise.all([
      cdp.send('Runtime.getHeapUsage'), inWorker('Runtime.getHeapUsage'), page.evaluate(() => window.__playground.call('debugMemory')),
    ]);
    return { pageHeap: pageHeap.usedSize, workerHeap: workerHeap.usedSize, wasm: wasmBytes };
  };
}

/** `count` edits from edit number `start`; returns the engine's forward count. */
function edit(page, start, count) {
  return page.evaluate(async ([start, count, perFrame]) => {
    const { actions, store } = window.__playground;
    const sentences = ['The cat sat on the mat, and the dog sat on the log. ', '小明 喜欢 苹果，小红 喜欢 香蕉。', 'Attention is all you need? 注意力！'];
    for (let n = start; n < start + count; n++) {
      // Type a sentence a character at a time, then delete it again, then the next one.
      const sentence = Array.from(sentences[Math.floor(n / 120) % sentences.length]);
      const typed = n % 120 < 60 ? (n % 60) + 1 : 60 - (n % 60);
      const patch = { text: sentence.slice(0, Math.min(typed, sentence.length)).join('') };
      if (n % 97 === 0) patch.mask = store.get().mask === 'causal' ? 'bidirectional' : 'causal';
      if (n % 13 === 0) patch.temperature = 0.5 + (n % 7) / 4;
      if (n % 31 === 0) patch.focus = n % 5;
      actions.set(patch);
      if (n % perFrame === perFrame - 1) await new Promise((r) => requestAnimationFrame(r));
    }
    return store.get().forwards;
  }, [start, count, EDITS_PER_FRAME]);
}

const mb = (bytes) => `${(bytes / (1 << 20)).toFixed(2)} MB`;

test(`${EDITS} edits: wasm memory and both JS heaps stay flat after warm-up`, { timeout: 600_000 }, async () => {
  const page = await h.open(env, '?lang=en');
  const measure = await inspect(page);
  const samples = [{ edits: 0, ...(await measure()) }];
  const started = Date.now();
  let forwards = 0;
  for (let done = 0; done < EDITS; done += CHUNK) {
    forwards = await edit(page, done, CHUNK);
    samples.push({ edits: done + CHUNK, forwards, ...(await measure()) });
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`soak: ${EDITS} edits in ${seconds.toFixed(0)} s, ${forwards} forward passes`);
  for (const s of samples) console.log(`  after ${String(s.edits).padStart(5)} edits: wasm ${mb(s.wasm)}, page heap ${mb(s.pageHeap)}, worker heap ${mb(s.workerHeap)}`);

  const s = await h.state(page);
  assert.equal(s.error, null);
  assert.ok(s.tokens.ids.length > 0 && s.next, 'still answering');
  const warm = samples[WARM_UP_CHUNKS];
  const later = samples.slice(WARM_UP_CHUNKS + 1);
  const wasmGrowth = later.at(-1).wasm - warm.wasm;
  assert.ok(wasmGrowth <= WASM_SLACK, `wasm memory grew after warm-up: ${mb(warm.wasm)} → ${mb(later.at(-1).wasm)}`);
  for (const heap of ['pageHeap', 'workerHeap']) {
    const limit = warm[heap] * (1 + HEAP_SLACK.fraction) + HEAP_SLACK.bytes;
    const worst = Math.max(...later.map((x) => x[heap]));
    assert.ok(worst <= limit, `${heap} grew after warm-up: ${mb(warm[heap])} → ${mb(worst)} (limit ${mb(limit)})`);
  }
  assert.deepEqual(page.errors, []);
  await page.close();
});
