// The BERT-style encoder in the page: the model switch (in the link; the encoder's files load
// only once it is chosen), fill-in bars for each [MASK] in English and Chinese that match the
// native `fill` command, the [MASK] button, and the step-through numbers against the native
// `trace` of the encoder (bidirectional: nothing is −∞).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as h from './harness.mjs';

const ENCODER = `${h.WWW}/models/encoder`;
let env;

/** The native command-line engine (scalar backend), its JSON. */
function native(...args) {
  const json = execFileSync('cargo', ['run', '--quiet', '--bin', 'attention-playground', '--', ...args, '--backend', 'scalar', '--model', ENCODER],
    { cwd: h.ROOT, maxBuffer: 1 << 28, encoding: 'utf8' });
  return JSON.parse(json);
}

before(async () => { env = await h.start(); });
after(async () => { await env?.stop(); });

test('the GPT page never fetches the encoder; choosing it loads it once and puts it in the link', async () => {
  const page = await env.context.newPage();
  const fetched = [];
  page.on('request', (request) => fetched.push(request.url()));
  await page.goto(`${env.url}?lang=en`);
  await h.ready(page);
  assert.ok(!fetched.some((url) => url.includes('/models/encoder/')), 'the first load fetched the encoder');
  await page.check('input[name="model-name"][value="encoder"]');
  await h.ready(page);
  await h.settle(page);
  const s = await h.state(page);
  assert.equal(s.model.attention_mask, 'bidirectional');
  assert.equal(s.model.mask_token, '[MASK]');
  assert.ok(fetched.some((url) => url.endsWith('/models/encoder/model.safetensors')));
  // The link follows once the learner pauses.
  await page.waitForFunction(() => /[?&]model=encoder/.test(location.search), null, { timeout: 10_000 });
  // The whole mask matrix is allowed, and the causal toggle cannot be chosen.
  assert.ok(s.tokens.allowed.every((a) => a === 1));
  assert.ok(await page.isDisabled('input[name="mask"][value="causal"]'));
  // The reading guide tells of blanks, and of looking both ways, in either language.
  const guide = () => page.textContent('.guide ol');
  assert.match(await guide(), /\[MASK\].*before and after/s);
  await page.click('#lang-switch');
  await h.settle(page);
  assert.match(await guide(), /\[MASK\].*前后/s);
  await page.click('#lang-switch');
  await h.settle(page);
  // Back to the GPT: its answer again, causal, and the guide about the next token.
  await page.check('input[name="model-name"][value="default"]');
  await h.ready(page);
  assert.equal((await h.state(page)).model.attention_mask, 'causal');
  assert.doesNotMatch(await guide(), /\[MASK\]/);
  assert.match(await guide(), /next token/);
  assert.deepEqual(page.errors ?? [], []);
  await page.close();
});

for (const [lang, text, title] of [['zh', '小明 [MASK] 苹果', '2. 完形填空'], ['en', 'I [MASK] apples.', '2. Fill in the blank']]) {
  test(`fill-in bars for each [MASK] (${lang}), live as the learner types, equal the native fill`, async () => {
    const page = await h.open(env, `?lang=${lang}&model=encoder&text=${encodeURIComponent(text)}`);
    assert.equal((await page.textContent('#next-title')).trim(), title);
    const want = native('fill', '--text', text, '--top', '5');
    let s = await h.state(page);
    assert.equal(s.fill.masks.length, 1);
    assert.equal(s.fill.masks[0].position, want.masks[0].position);
    assert.deepEqual(s.fill.masks[0].candidates.map((c) => c.id), want.masks[0].candidates.map((c) => c.id));
    s.fill.masks[0].candidates.forEach((c, i) => assert.ok(Math.abs(c.probability - want.masks[0].candidates[i].probability) < 1e-3));
    const bars = await page.$$eval('#fills .fill li.bar', (n) => n.map((li) => li.dataset.id));
    assert.deepEqual(bars.map(Number), want.masks[0].candidates.map((c) => c.id));

    // A second blank typed in: two lists, each the native answer.
    const two = `${text} [MASK]`;
    await h.type(page, two);
    s = await h.state(page);
    const want2 = native('fill', '--text', two, '--top', '5');
    assert.deepEqual(s.fill.masks.map((m) => m.position), want2.masks.map((m) => m.position));
    assert.deepEqual(s.fill.masks.map((m) => m.candidates[0].id), want2.masks.map((m) => m.candidates[0].id));
    assert.equal((await page.$$('#fills .fill')).length, 2);

    // No blank: the page says how to make one.
    await h.type(page, '小明 喜欢 苹果');
    assert.equal((await h.state(page)).fill.masks.length, 0);
    assert.ok((await page.textContent('#next-caption')).includes('[MASK]'));
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

test('the [MASK] button puts a blank at the cursor', async () => {
  const page = await h.open(env, `?lang=en&model=encoder&text=${encodeURIComponent('小明 苹果')}`);
  await page.focus('#text-input');
  await page.evaluate(() => document.querySelector('#text-input').setSelectionRange(3, 3)); // after "小明 "
  await page.click('#insert-mask');
  await h.settle(page);
  const s = await h.state(page);
  assert.equal(s.text, '小明 [MASK] 苹果');
  assert.equal(s.fill.masks.length, 1);
  await page.close();
});

test('the encoder’s step-through shows the native trace’s numbers, with nothing masked', async () => {
  const text = '小明 喜欢 苹果';
  const layer = 1;
  const head = 2;
  const cli = native('trace', '--text', text, '--layer', String(layer));
  const count = cli.trace.ids.length;
  const focus = 2; // 喜欢: it may look at 苹果, after it
  const page = await h.open(env, `?lang=en&model=encoder&text=${encodeURIComponent(text)}&layer=${layer + 1}&head=${head + 1}&focus=${focus + 1}&step=6`);
  const s = await h.state(page);
  assert.deepEqual(s.tokens.ids, cli.trace.ids);
  const attention = cli.trace.layers[0].attention;
  const row = (tensor) => tensor.data.slice((head * count + focus) * count, (head * count + focus + 1) * count);
  const close = (shown, ref) => Math.abs(shown - ref) <= 6e-4 + 1e-3 * Math.abs(ref);
  for (const [col, field] of [['score', 'scores'], ['scaled', 'scaled'], ['masked', 'masked'], ['weight', 'weights']]) {
    const shown = (await page.$$eval(`#step-view td[data-col="${col}"]`, (n) => n.map((c) => c.textContent))).map(h.parseShown);
    const ref = row(attention[field]);
    assert.equal(shown.length, count);
    shown.forEach((v, j) => {
      assert.ok(Number.isFinite(v), `${col}[${j}] is masked in a bidirectional model`);
      assert.ok(close(v, ref[j]), `${col}[${j}]: page ${v}, native ${ref[j]}`);
    });
  }
  // The focus really looks ahead: 喜欢's weight on the tokens after it.
  assert.ok(row(attention.weights).slice(focus + 1).reduce((a, b) => a + b, 0) > 0);
  await page.close();
});

test('the mask section runs the same sentence through both models side by side', async () => {
  const text = '小明 喜欢 苹果';
  const page = await h.open(env, `?lang=en&text=${encodeURIComponent(text)}&focus=${encodeURIComponent('喜欢')}`);
  await page.check('#mask-compare');
  await page.waitForFunction(() => window.__playground.store.get().compare?.steps, null, { timeout: 120_000 });
  await h.settle(page);
  const s = await h.state(page);
  assert.equal(s.compare.modelName, 'encoder');
  const focus = s.steps.focus;
  const row = async (model) => (await page.$$eval(`#mask-side-by-side tr[data-model="${model}"] td`, (n) => n.map((c) => Number(c.textContent))));
  const gpt = await row('default');
  const encoder = await row('encoder');
  assert.equal(gpt.length, s.tokens.ids.length);
  // The GPT cannot look past 喜欢; the encoder does (its weights there come from the engine).
  assert.ok(gpt.slice(focus + 1).every((w) => w === 0), `GPT ${gpt}`);
  assert.ok(s.compare.steps.weights.slice(focus + 1).some((w) => w > 0));
  assert.deepEqual(encoder, s.compare.steps.weights.map((w) => Number((100 * w).toFixed(0))));
  await page.close();
});

test('the stack view says what the encoder’s logits are for: this position, not the next token', async () => {
  for (const [lang, fill, next] of [['en', /what belongs at/, /next token/], ['zh', /位置本身/, /下一个词元/]]) {
    const page = await h.open(env, `?lang=${lang}&model=encoder&text=${encodeURIComponent('小明 喜欢 苹果')}&focus=2`);
    const s = await h.state(page);
    const label = await page.textContent('#stack-list .stage-logits');
    assert.match(label, fill);
    assert.doesNotMatch(label, next);
    // The token it names is the arg-max of the encoder's logits at the focus, as the engine said.
    assert.ok(label.includes(s.stack.top.text.trim()), `${label} names ${s.stack.top.text}`);
    assert.doesNotMatch(await page.textContent('#chain .chain-end'), next);
    await page.close();
  }
});
