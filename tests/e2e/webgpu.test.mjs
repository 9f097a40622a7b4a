// With --enable-unsafe-webgpu Chromium offers a WebGPU adapter, SwiftShader: the CPU emulating a
// GPU. Automatic choice passes over it for the (much faster) SIMD CPU backend and says why;
// chosen by hand, WebGPU runs the model, names the adapter, and its numbers match the CPU's.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';

let env;
before(async () => { env = await h.start({ webgpu: true }); });
after(async () => { await env?.stop(); });

test('automatic choice passes over a software WebGPU adapter, saying why', async () => {
  const page = await h.open(env, `?lang=en&text=${encodeURIComponent('小明 喜欢 苹果')}`);
  const auto = await h.state(page);
  assert.equal(auto.status.kind, 'simd', `backend ${auto.status.kind}: ${auto.status.reason}`);
  assert.match(auto.status.reason, /emulating/);
  assert.match(auto.status.reason, /SIMD/);
  assert.equal(auto.status.why, 'software_gpu');
  // The page words the reason in the reader's language; the engine's sentence is the tooltip.
  assert.match(await page.textContent('#engine-status'), /CPU emulating a GPU/);
  assert.match(await page.getAttribute('#engine-status', 'title'), /emulating/);
  await page.close();
  const zh = await h.open(env, `?lang=zh&text=${encodeURIComponent('小明 喜欢 苹果')}`);
  assert.match(await zh.textContent('#engine-status'), /用 CPU 模拟的 GPU/);
  await zh.close();
});

test('WebGPU chosen by hand runs the model and agrees with the CPU', async () => {
  const page = await h.open(env, `?lang=en&backend=gpu&text=${encodeURIComponent('小明 喜欢 苹果')}`);
  const gpu = await h.state(page);
  assert.equal(gpu.status.kind, 'gpu', `backend ${gpu.status.kind}: ${gpu.status.reason}`);
  assert.match(await page.textContent('#status-badge'), /WebGPU/);

  await page.selectOption('#backend', 'simd');
  await page.waitForFunction(() => window.__playground.store.get().status?.kind === 'simd');
  await h.settle(page);
  const cpu = await h.state(page);
  const tol = (ref) => 1e-3 + Math.abs(ref) * 1e-3;
  for (const field of ['q', 'scores', 'weights', 'out']) {
    gpu.steps[field].forEach((v, i) => assert.ok(Math.abs(v - cpu.steps[field][i]) <= tol(cpu.steps[field][i]),
      `${field}[${i}]: gpu ${v}, cpu ${cpu.steps[field][i]}`));
  }
  assert.equal(gpu.next.rows[0].id, cpu.next.rows[0].id);

  await page.selectOption('#backend', 'gpu');
  await page.waitForFunction(() => window.__playground.store.get().status?.kind === 'gpu');
  await page.close();
});

test('a lost GPU device moves the page to the CPU with a message, and it keeps working', async () => {
  const page = await h.open(env, `?lang=en&backend=gpu&text=${encodeURIComponent('小明 喜欢')}`);
  assert.equal((await h.state(page)).status.kind, 'gpu');
  await page.evaluate(() => window.__playground.call('debugLoseDevice'));
  await h.type(page, '小明 喜欢 苹果');
  const s = await h.state(page);
  assert.equal(s.status.kind, 'simd');
  assert.equal(s.lostDevice, true);
  assert.ok(await page.isVisible('#error'));
  assert.match(await page.textContent('#error'), /GPU device was lost/);
  assert.equal(s.next.rows.length, 10);
  await h.screenshot(page, 'lost-device-en');
  await page.click('#error .error-dismiss');
  await h.settle(page);
  const after = await h.state(page);
  assert.equal(after.error, null, `an error after dismissing: ${JSON.stringify(after.error)}`);
  assert.equal(after.lostDevice, false, `the loss was reported again (status ${JSON.stringify(after.status)})`);
  assert.equal(await page.isHidden('#error'), true);
  await page.close();
});
