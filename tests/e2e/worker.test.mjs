// A dying engine (issue 16, item 4): the worker crashes (an uncaught error) or hangs (a busy
// loop) while the learner works. The page must start a new worker, load the model again, bring
// back exactly the view the learner had, say what happened in the learner's language, and keep
// working. The debug methods debugCrash / debugHang make the worker fail on purpose.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';

let env;
before(async () => { env = await h.start(); });
after(async () => { await env?.stop(); });

const engineStats = (page) => page.evaluate(() => {
  const { workers, restarts, clients, running } = window.__playground.engine.stats();
  return { workers, restarts, clients, running };
});
const VIEW = { layer: 1, head: 2, step: 3, mask: 'bidirectional', temperature: 0.7 };

async function chooseView(page, text) {
  await h.type(page, text);
  await page.evaluate((view) => window.__playground.actions.set(view), VIEW);
  await h.settle(page);
  return h.state(page);
}

/** Wait until the page has reloaded the model in a new worker and redrawn. */
async function restored(page, why) {
  await page.waitForFunction((w) => {
    const s = window.__playground.store.get();
    return s.restarted === w && !s.loading && window.__playground.engine.stats().restarts > 0;
  }, why, { timeout: 120_000, polling: 100 });
  await h.settle(page);
}

function sameView(after, before) {
  for (const field of ['text', 'layer', 'head', 'step', 'mask', 'temperature', 'lang']) {
    assert.deepEqual(after[field], before[field], `${field} after the restart`);
  }
  assert.deepEqual(after.tokens.ids, before.tokens.ids);
  assert.equal(after.steps.layer, VIEW.layer);
  assert.equal(after.steps.head, VIEW.head);
  assert.deepEqual(after.next.rows.map((r) => r.id), before.next.rows.map((r) => r.id));
}

test('a worker that crashes mid-update is replaced and the view restored, said in Chinese', async () => {
  const page = await h.open(env, '?lang=zh');
  const shown = await chooseView(page, '小明 喜欢 苹果');
  assert.deepEqual(await engineStats(page), { workers: 1, restarts: 0, clients: 1, running: true });

  // The worker answers, then dies; the edit typed right after is in flight when it does.
  await page.evaluate(() => window.__playground.call('debugCrash'));
  await page.evaluate(() => window.__playground.actions.set({ text: '小明 喜欢 苹果 和' }));
  await restored(page, 'crash');
  let s = await h.state(page);
  assert.equal(s.text, '小明 喜欢 苹果 和', 'the edit made while the worker died is kept and shown');
  assert.ok(s.tokens.ids.length > shown.tokens.ids.length);
  assert.equal(s.error, null);

  await page.evaluate(() => window.__playground.actions.set({ text: '小明 喜欢 苹果' }));
  await h.settle(page);
  s = await h.state(page);
  sameView(s, shown);
  assert.equal(await page.isVisible('#error'), true);
  assert.match(await page.textContent('#error .error-text'), /计算引擎出了故障，已经重新启动/);
  assert.equal(await page.isVisible('#error .error-retry'), false, 'nothing to retry: it already works');
  assert.deepEqual(await engineStats(page), { workers: 2, restarts: 1, clients: 1, running: true });

  // Still a working page: typing re-tokenizes, and the message can be dismissed.
  await h.type(page, 'I want to');
  assert.ok((await h.state(page)).tokens.ids.length >= 3);
  await page.click('#error .error-dismiss');
  await h.settle(page);
  assert.equal(await page.isVisible('#error'), false);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a worker that hangs past the deadline is replaced and the view restored, said in English', async () => {
  const page = await h.open(env, '?lang=en');
  const shown = await chooseView(page, 'The cat sat');
  // The real deadline is 30 s of silence; a test need not wait that long.
  await page.evaluate(() => window.__playground.engine.setSilenceLimit(3000));
  await page.evaluate(() => window.__playground.call('debugHang'));
  const started = Date.now();
  // A slider moved while the worker hangs: its request waits, unanswered; moved back, it coalesces.
  await page.evaluate((t) => window.__playground.actions.set({ temperature: t + 0.05 }), VIEW.temperature);
  await page.evaluate((t) => window.__playground.actions.set({ temperature: t }), VIEW.temperature);
  await restored(page, 'hang');
  assert.ok(Date.now() - started >= 2500, 'replaced only after the deadline');
  sameView(await h.state(page), shown);
  assert.match(await page.textContent('#error .error-text'), /stopped answering, so it was started again/);
  assert.deepEqual(await engineStats(page), { workers: 2, restarts: 1, clients: 1, running: true });
  await h.type(page, 'The dog');
  assert.ok((await h.state(page)).tokens.ids.length >= 2);
  assert.deepEqual(page.errors, []);
  await page.close();
});
