// The playground on the CPU path (Chromium without --enable-unsafe-webgpu: no adapter, so this
// is also the "no WebGPU" test): tokens, probabilities, sampling controls, generation, the
// step-through against the engine's own numbers, the mask, the URL, and untrusted text.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';

let env;
before(async () => { env = await h.start(); });
after(async () => { await env?.stop(); });

const chips = (page) => page.$$eval('#tokens .chip', (nodes) => nodes.map((n) => ({
  text: n.querySelector('.chip-text').textContent, id: Number(n.dataset.id),
})));
const bars = (page) => page.$$eval('#bars li', (nodes) => nodes.map((n) => ({
  id: n.dataset.id ? Number(n.dataset.id) : null,
  probability: Number(n.dataset.probability),
  shown: n.querySelector('.bar-value').textContent,
  cut: n.classList.contains('cut'),
})));
async function setRange(page, selector, value) {
  await page.$eval(selector, (input, v) => {
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
  await h.settle(page);
}

test('without WebGPU the page runs on the CPU and says so', async () => {
  const page = await h.open(env, '?lang=en');
  const s = await h.state(page);
  assert.notEqual(s.status.kind, 'gpu');
  assert.match(await page.textContent('#status-badge'), /CPU/);
  assert.match(await page.textContent('#engine-status'), /no WebGPU here, so the SIMD CPU path/);
  assert.equal(s.status.why, 'no_gpu');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('English and Chinese text become coloured token chips with their ids', async () => {
  const page = await h.open(env, '?lang=en');
  await h.type(page, 'The cat sat');
  let s = await h.state(page);
  let shown = await chips(page);
  assert.ok(shown.length >= 3, `expected ≥3 tokens, got ${shown.length}`);
  assert.deepEqual(shown.map((c) => c.id), s.tokens.ids);
  assert.equal(shown.map((c) => c.text).join('').replaceAll('␣', ' '), 'The cat sat');

  await h.type(page, '小明 喜欢 苹果');
  s = await h.state(page);
  shown = await chips(page);
  assert.deepEqual(shown.map((c) => c.id), s.tokens.ids);
  const joined = shown.map((c) => c.text).join('');
  for (const ch of '小明喜欢苹果') assert.ok(joined.includes(ch), `${ch} missing from ${joined}`);
  assert.match(await page.textContent('#tokens-note'), new RegExp(`${s.tokens.ids.length} tokens`));
  await page.close();
});

test('an example chip puts its sentence in the box and runs it', async () => {
  const page = await h.open(env, '?lang=en');
  const examples = await page.$$eval('.examples .example', (nodes) => nodes.map((n) => n.textContent));
  assert.ok(examples.length >= 2, `examples: ${examples}`);
  await page.click(`.examples .example >> nth=1`);
  await h.settle(page);
  assert.equal(await page.inputValue('#text-input'), examples[1]);
  const s = await h.state(page);
  assert.equal(s.text, examples[1]);
  assert.deepEqual((await chips(page)).map((c) => c.id), s.tokens.ids);
  assert.equal((await bars(page)).filter((b) => !b.cut && b.id !== null).length, 10);
  await page.close();
});

test('empty input shows a friendly hint instead of numbers', async () => {
  const page = await h.open(env, '?lang=en');
  await page.fill('#text-input', '');
  await h.settle(page);
  assert.equal((await chips(page)).length, 0);
  assert.equal((await bars(page)).length, 0);
  assert.match(await page.textContent('#tokens-note'), /Type something/);
  assert.equal((await h.state(page)).error, null);
  await page.close();
});

test('text longer than the context is truncated visibly', async () => {
  const page = await h.open(env, '?lang=en');
  const { model } = await h.state(page);
  await page.fill('#text-input', 'one two three four '.repeat(model.n_positions));
  await h.settle(page);
  const s = await h.state(page);
  assert.equal(s.tokens.ids.length, model.n_positions);
  assert.ok(s.tokens.truncated && s.tokens.total > model.n_positions);
  assert.equal((await chips(page)).length, model.n_positions);
  assert.ok(await page.$eval('#tokens-note', (n) => n.classList.contains('warn')));
  assert.ok((await page.textContent('#tokens .dropped')).length > 0);
  assert.equal(await page.isDisabled('#generate'), true);
  await page.close();
});

test('untrusted text is shown literally and runs nothing', async () => {
  const page = await h.open(env, '?lang=en');
  const evil = '<img src=x onerror=alert(1)>';
  await h.type(page, evil);
  const joined = (await chips(page)).map((c) => c.text).join('').replaceAll('␣', ' ');
  assert.equal(joined, evil);
  assert.equal(await page.$$eval('img', (n) => n.length), 0);
  assert.deepEqual(env.dialogs, []);
  // Through the URL too.
  const other = await h.open(env, `?lang=en&text=${encodeURIComponent('<script>alert(2)</script><b>x</b>')}`);
  assert.equal(await other.$$eval('#tokens b, #tokens script', (n) => n.length), 0);
  assert.deepEqual(env.dialogs, []);
  await page.close();
  await other.close();
});

test('probabilities add up to 100% and follow the text', async () => {
  const page = await h.open(env, '?lang=en');
  await h.type(page, 'The cat sat on the');
  const first = await bars(page);
  assert.equal(first.length, 11); // top 10 + "all others"
  const sum = first.reduce((a, b) => a + b.probability, 0);
  assert.ok(Math.abs(sum - 1) < 1e-3, `bars sum to ${sum}`);
  const shownSum = first.reduce((a, b) => a + Number.parseFloat(b.shown), 0);
  assert.ok(Math.abs(shownSum - 100) < 1, `shown percentages sum to ${shownSum}`);
  for (let i = 1; i < 10; i++) assert.ok(first[i - 1].probability >= first[i].probability);

  await h.type(page, '小明 喜欢');
  const second = await bars(page);
  assert.notDeepEqual(second.map((b) => [b.id, b.probability]), first.map((b) => [b.id, b.probability]));
  await page.close();
});

test('temperature, top-k and top-p re-run only the softmax (no new forward pass)', async () => {
  const page = await h.open(env, '?lang=en');
  await h.type(page, '小明 喜欢');
  const before = await h.state(page);
  const warm = await bars(page);

  await setRange(page, '#temperature', 0.5);
  let s = await h.state(page);
  assert.equal(s.forwards, before.forwards, 'temperature must not run the model again');
  const cold = await bars(page);
  assert.ok(cold[0].probability > warm[0].probability, 'a lower temperature sharpens the distribution');
  assert.equal(cold[0].id, warm[0].id);

  await setRange(page, '#topk', 3);
  s = await h.state(page);
  assert.equal(s.forwards, before.forwards);
  const topk = await bars(page);
  assert.deepEqual(topk.slice(0, 10).map((b) => b.cut), [false, false, false, ...Array(7).fill(true)]);
  assert.ok(Math.abs(topk.slice(0, 3).reduce((a, b) => a + b.probability, 0) - 1) < 1e-3);

  await setRange(page, '#topk', 0);
  await setRange(page, '#topp', 0.05);
  assert.equal((await bars(page)).filter((b) => !b.cut && b.id !== null).length, 1);
  assert.equal((await h.state(page)).forwards, before.forwards);
  await page.close();
});

test('generate appends sampled tokens, reproducibly for a seed, and can be stopped', async () => {
  const page = await h.open(env, '?lang=en&seed=7');
  async function generate(start) {
    await h.type(page, start);
    await page.click('#generate');
    await page.waitForFunction(() => window.__playground.store.get().generating, null, { polling: 50 });
    await page.waitForFunction(() => !window.__playground.store.get().generating, null, { timeout: 120_000, polling: 100 });
    await h.settle(page);
    return (await h.state(page)).text;
  }
  const a = await generate('小明');
  assert.ok(a.startsWith('小明') && a.length > 2, `generated ${a}`);
  const b = await generate('小明');
  assert.equal(b, a, 'the same seed gives the same text');

  await h.type(page, 'The');
  await page.click('#generate');
  await page.waitForSelector('#stop:not([hidden])');
  await page.click('#stop');
  await page.waitForFunction(() => !window.__playground.store.get().generating, null, { polling: 50 });
  // The views repaint on the next animation frame after the store changes.
  await page.waitForSelector('#generate:not([hidden])', { timeout: 5_000 });
  assert.ok(await page.isVisible('#stop') === false, 'the stop button hides again');
  await page.close();
});

test('the step-through shows the engine’s own numbers for the chosen head', async () => {
  const page = await h.open(env, `?lang=en&text=${encodeURIComponent('小明 喜欢 苹果')}`);
  const { model, tokens } = await h.state(page);
  const layer = model.n_layer - 1;
  const head = model.n_head - 1;
  const focus = Math.max(0, tokens.ids.length - 2);
  // By value (the engine's index): the labels count from 1, so '1' would also match layer 1's label.
  await page.selectOption('#layer', { value: String(layer) });
  await page.selectOption('#head', { value: String(head) });
  await page.selectOption('#focus', { value: String(focus) });
  await page.click('#step-list button[data-step="5"]');
  await h.settle(page);
  const truth = await page.evaluate((a) => window.__playground.call('debugHeadSteps', a), { layer, head, focus });
  const close = (shown, value, digits) => {
    if (value === -Infinity) return shown === -Infinity;
    return Math.abs(shown - value) <= 0.5 * 10 ** -digits + 1e-6;
  };
  const column = (col) => page.$$eval(`#step-view td[data-col="${col}"]`, (n) => n.map((c) => c.textContent));
  for (const [col, field] of [['score', 'scores'], ['scaled', 'scaled'], ['masked', 'masked'], ['weight', 'weights']]) {
    const shown = (await column(col)).map(h.parseShown);
    assert.equal(shown.length, tokens.ids.length);
    shown.forEach((v, j) => assert.ok(close(v, truth[field][j], 3), `${col}[${j}]: page ${v}, engine ${truth[field][j]}`));
  }
  const q = (await page.textContent('.focus-vector .numbers')).trim().split(/\s+/).map(h.parseShown);
  assert.equal(q.length, model.head_size);
  q.forEach((v, i) => assert.ok(close(v, truth.q[i], 2), `q[${i}]`));
  const out = (await page.textContent('.out-vector .numbers')).trim().split(/\s+/).map(h.parseShown);
  out.forEach((v, i) => assert.ok(close(v, truth.out[i], 2), `out[${i}]`));
  // Causal: keys after the focus are masked; the weights of the visible ones sum to 1.
  truth.masked.forEach((m, j) => assert.equal(m === -Infinity, j > focus));
  assert.ok(Math.abs(truth.weight_sum - 1) < 1e-4);

  // Arrow keys step through, buttons too.
  await page.focus('#step-next');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.equal((await h.state(page)).step, 3);
  await page.keyboard.press('ArrowRight');
  assert.equal((await h.state(page)).step, 4);
  await page.click('#step-prev');
  assert.equal((await h.state(page)).step, 3);
  await page.close();
});

test('the mask toggle switches causal and bidirectional attention', async () => {
  const page = await h.open(env, `?lang=en&text=${encodeURIComponent('小明 喜欢 苹果')}`);
  const before = await h.state(page);
  const blocked = () => page.$$eval('#mask-matrix td.blocked', (n) => n.length);
  const t = before.tokens.ids.length;
  assert.equal(await blocked(), (Math.min(t, 16) * (Math.min(t, 16) - 1)) / 2);
  await page.check('input[name="mask"][value="bidirectional"]');
  await h.settle(page);
  const after = await h.state(page);
  assert.equal(after.mask, 'bidirectional');
  assert.equal(after.forwards, before.forwards + 1);
  assert.equal(await blocked(), 0);
  assert.ok(after.steps.masked.every((m) => m !== '-Infinity'));
  assert.match(await page.textContent('#mask-text'), /BERT/);
  await page.close();
});

test('the URL restores the same view, and changes update the URL', async () => {
  const query = `?text=${encodeURIComponent('小明 喜欢 苹果')}&layer=2&head=2&focus=1&step=4&t=0.7&k=5&p=0.9&mask=bidirectional&lang=zh`;
  const page = await h.open(env, query);
  const s = await h.state(page);
  assert.deepEqual(
    [s.text, s.layer, s.head, s.focus, s.step, s.temperature, s.topK, s.topP, s.mask, s.lang],
    ['小明 喜欢 苹果', 1, 1, 0, 3, 0.7, 5, 0.9, 'bidirectional', 'zh'],
  );
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal(await page.inputValue('#layer'), '1');
  assert.equal(await page.inputValue('#focus'), '0');
  assert.ok(await page.isChecked('input[name="mask"][value="bidirectional"]'));
  assert.match(await page.textContent('#step-list button.current'), /掩码/);
  assert.equal(s.steps.focus, 0);

  await page.selectOption('#head', { value: '0' });
  await page.click('#step-next');
  await h.settle(page);
  await page.waitForFunction(() => location.search.includes('step=5'));
  const shared = await page.evaluate(() => location.search);
  const again = await h.open(env, shared);
  const r = await h.state(again);
  assert.deepEqual([r.head, r.step, r.layer, r.focus, r.lang], [0, 4, 1, 0, 'zh']);
  assert.deepEqual(r.steps.weights, (await h.state(page)).steps.weights);
  await page.close();
  await again.close();
});

test('the backend switch forces the scalar CPU path with the same numbers', async () => {
  const page = await h.open(env, `?lang=en&text=${encodeURIComponent('The cat sat')}`);
  const simd = await h.state(page);
  await page.selectOption('#backend', 'scalar');
  await page.waitForFunction(() => window.__playground.store.get().status?.kind === 'scalar');
  await h.settle(page);
  const scalar = await h.state(page);
  assert.equal(scalar.status.kind, 'scalar');
  simd.steps.weights.forEach((w, j) => assert.ok(Math.abs(w - scalar.steps.weights[j]) < 1e-4));
  assert.ok(Math.abs(simd.next.rows[0].probability - scalar.next.rows[0].probability) < 1e-4);
  assert.match(await page.textContent('#status-badge'), /CPU/);
  await page.close();
});

test('the language switch translates the page', async () => {
  const page = await h.open(env, '?lang=en');
  assert.match(await page.textContent('#steps-title'), /one step at a time/);
  await page.click('#lang-switch');
  await h.settle(page);
  assert.match(await page.textContent('#steps-title'), /一步一步/);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  await page.close();
});

test('a model that fails to load gives a clear message and a working retry', async () => {
  const page = await env.context.newPage();
  let fail = true;
  await page.route('**/models/default/model.safetensors', async (route) => {
    if (fail) await route.fulfill({ status: 404, body: 'gone' });
    else {
      await new Promise((r) => setTimeout(r, 800)); // slow enough to see the progress bar
      await route.continue();
    }
  });
  await page.goto(`${env.url}?lang=en`);
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error .error-text'), /model could not be loaded.*404/);
  fail = false;
  await page.click('#error .error-retry');
  await page.waitForSelector('#progress:not([hidden])');
  assert.match(await page.textContent('#progress .progress-text'), /engine|model/i);
  await h.ready(page);
  assert.equal(await page.isHidden('#error'), true);
  assert.ok((await h.state(page)).tokens.ids.length > 0);
  await page.close();
});
