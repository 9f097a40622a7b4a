// The page as a first-time learner reads it (issue 11): the runners-up at a low temperature are
// the real next-best tokens, a prediction away from the last token says so, steps 2 and 4 follow
// the mask, the softmax can be checked by hand, byte pieces are named, every count starts at 1,
// and on a phone the current column stays in view and touch screens are told to tap.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';

let env;
before(async () => { env = await h.start(); });
after(async () => { await env?.stop(); });

const PAIR = '他 喜欢 户外 运动 | He likes outdoor sports.';
const SENTENCE = '小明 喜欢 苹果';
const q = (text, extra = '') => `?lang=en&text=${encodeURIComponent(text)}${extra}`;
const bars = (page) => page.$$eval('#bars li[data-id]', (nodes) => nodes.map((n) => ({
  id: Number(n.dataset.id),
  label: n.querySelector('.bar-token').textContent,
  shown: n.querySelector('.bar-value').textContent,
})));

test('at a low temperature the runners-up are the next-best tokens, not ids 0–9', async () => {
  const page = await h.open(env, q(PAIR));
  const warm = await h.state(page);
  const cold = await h.open(env, q(PAIR, '&t=0.1'));
  const s = await h.state(cold);
  const shown = await bars(cold);
  // Ranking by logit does not depend on the temperature: the same ten tokens in the same order.
  assert.deepEqual(shown.map((b) => b.id), warm.next.rows.map((r) => r.id));
  assert.notDeepEqual(shown.slice(1).map((b) => b.id), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].slice(0, shown.length - 1));
  for (let i = 1; i < s.next.rows.length; i++) assert.ok(s.next.rows[i - 1].logit >= s.next.rows[i].logit, `row ${i} out of logit order`);
  // Probabilities that round to nothing still read as "less than", never as zero.
  assert.ok(shown.every((b) => b.shown !== '0.00%' && b.shown !== '0%'), shown.map((b) => b.shown).join(' '));
  assert.ok(shown.some((b) => b.shown === '< 0.01%'), 'at t=0.1 the tail is below 0.01%');
  // The logit table names its exp column for what it is: e^(scaled − the largest scaled logit).
  await cold.click('.softmax summary');
  const header = await cold.textContent('#softmax-table thead');
  assert.ok(header.includes(`e^(scaled − ${s.next.rows[0].scaled.toFixed(3)})`), header);
  assert.match(await cold.textContent('#softmax-table tfoot'), /Σ = the sum of e\^/);
  await page.close();
  await cold.close();
});

test('a prediction at an earlier focus token is labelled “if the sentence ended here”', async () => {
  const page = await h.open(env, q(SENTENCE));
  const { tokens } = await h.state(page);
  const top = (await bars(page))[0];
  let stack = await page.textContent('#stack-list .stage-logits');
  assert.ok(stack.includes(top.label) && stack.includes('the top bar in 2'), stack);
  const focus = tokens.display.findIndex((d) => d.trim() === '喜欢');
  assert.ok(focus >= 0 && focus < tokens.ids.length - 1, `喜欢 in ${tokens.display}`);
  await page.click(`#tokens .chip[data-index="${focus}"]`);
  await h.settle(page);
  const s = await h.state(page);
  assert.equal(s.stack.token, focus);
  stack = await page.textContent('#stack-list .stage-logits');
  assert.ok(stack.startsWith('If the sentence ended at “喜欢”'), stack);
  assert.match(await page.textContent('#chain .chain-end'), /if the sentence ended here/);
  // The chain from the heads to the bars is written in the model's own sizes.
  const chain = await page.textContent('#chain');
  const m = s.model;
  for (const part of [`${m.n_head} × ${m.head_size} = ${m.n_embd}`, `${m.n_embd} × ${m.vocab_size}`, `${m.vocab_size} logits`]) {
    assert.ok(chain.includes(part), `${part} missing from: ${chain}`);
  }
  await page.close();
});

test('steps 2 and 4 say what the mask will hide, and follow the toggle', async () => {
  const page = await h.open(env, q(SENTENCE, '&focus=1&step=2'));
  const { tokens } = await h.state(page);
  const later = tokens.ids.length - 1;
  // Step 2: every key is scored, the ones after the focus greyed and marked "hidden at step 4".
  assert.match(await page.textContent('#step-text'), new RegExp(`also looks at itself.*The ${later} grey rows come after`));
  assert.equal(await page.$$eval('#step-view tr.blocked', (n) => n.length), later);
  assert.equal(await page.$$eval('#step-view tr.blocked .later', (n) => n.filter((x) => x.textContent === 'hidden at step 4').length), later);
  await page.click('#step-list button[data-step="3"]');
  await h.settle(page);
  assert.match(await page.textContent('#step-text'), new RegExp(`may not look at the ${later} tokens after it`));
  // The last token has nothing after it: the mask hides nothing, and step 4 says so.
  await page.selectOption('#focus', { value: String(tokens.ids.length - 1) });
  await h.settle(page);
  assert.match(await page.textContent('#step-text'), /none come after it, so nothing changes here/);
  assert.equal(await page.$$eval('#step-view tr.blocked', (n) => n.length), 0);
  // Bidirectional: steps 2 and 4 say that nothing is hidden.
  await page.selectOption('#focus', { value: '0' });
  await page.check('input[name="mask"][value="bidirectional"]');
  await h.settle(page);
  assert.match(await page.textContent('#step-text'), new RegExp(`Bidirectional: no mask.*all ${tokens.ids.length} tokens`));
  await page.click('#step-list button[data-step="1"]');
  await h.settle(page);
  assert.match(await page.textContent('#step-text'), /bidirectional, so none of them will be hidden/);
  assert.equal(await page.$$eval('#step-view tr.blocked', (n) => n.length), 0);
  // The mask section says where the change shows, since the bars hardly move.
  assert.match(await page.textContent('#mask-text'), /bars in 2 hardly change.*maps of 4.*earlier tokens in 5/);
  await page.close();
});

test('the softmax step writes its whole denominator out with the trace’s numbers', async () => {
  const page = await h.open(env, q(SENTENCE, '&focus=4&step=5'));
  const s = await h.state(page);
  const written = await page.textContent('#step-view .written');
  const seen = s.steps.masked.filter((m) => m !== '-Infinity');
  const terms = seen.map((m) => `e^${m.toFixed(3).replace('-', '−')}`).join(' + ');
  assert.ok(written.includes(`÷ (${terms}) = ${s.steps.weights[3].toFixed(3)}`), written);
  assert.ok(written.includes(`the ${s.tokens.ids.length - seen.length} hidden tokens add e^−∞ = 0`), written);
  await page.close();
});

test('a character the vocabulary lacks is named in its byte pieces, never shown as raw bytes', async () => {
  // The tokenizer keeps every character of its data whole; 鲸 (whale) is not in the data, so it
  // is spelled in its three UTF-8 bytes.
  const page = await h.open(env, q('鲸 喜欢'));
  const s = await h.state(page);
  assert.deepEqual(s.tokens.display.slice(0, 3), ['鲸¹', '鲸²', '鲸³']);
  const chips = await page.$$eval('#tokens .chip', (nodes) => nodes.map((n) => ({ text: n.textContent, title: n.title })));
  for (const chip of chips.slice(0, 3)) assert.ok(chip.title.includes('part of a character'), chip.title);
  assert.ok(!chips.slice(3).some((chip) => chip.title.includes('part of a character')), 'a whole word marked as a piece');
  assert.ok((await page.textContent('#tokens-note')).includes('鲸'));
  // The candidates are whole tokens, or named as pieces: never raw bytes.
  const shown = await bars(page);
  for (const row of s.next.rows.filter((r) => r.partial)) {
    assert.ok(shown.find((b) => b.id === row.id).label.includes('part of a character'));
  }
  assert.ok(shown.every((b) => !/[<‹][0-9A-F]{2}/.test(b.label.replace('‹part', ''))), shown.map((b) => b.label).join(' '));
  await page.click('#lang-switch');
  await h.settle(page);
  assert.ok((await page.$$eval('#tokens .chip', (nodes) => nodes[0].title)).includes('部分字节'));
  await page.close();
});

test('layers, heads and tokens are counted from 1, like sections and steps', async () => {
  const page = await h.open(env, q(SENTENCE));
  const { model, tokens } = await h.state(page);
  assert.deepEqual(await page.$$eval('#layer option', (o) => o.map((x) => x.textContent)), Array.from({ length: model.n_layer }, (_, i) => String(i + 1)));
  assert.deepEqual(await page.$$eval('#head option', (o) => o.map((x) => x.textContent)), Array.from({ length: model.n_head }, (_, i) => String(i + 1)));
  assert.match(await page.$eval('#focus option', (o) => o.textContent), /^1: /);
  assert.equal(await page.textContent('#heatmap-caption'), 'Layer 1, head 1: attention weights (query × key)');
  assert.match(await page.textContent('#stack-list'), /Block 1: \+ attention/);
  assert.doesNotMatch(await page.textContent('#stack-list'), /Block 0/);
  assert.match(await page.getAttribute('#tokens .chip >> nth=0', 'title'), /^token 1 · id /);
  // The symbols are explained where they are seen, and the model by the bars.
  assert.match(await page.textContent('.token-legend'), /starts with a space.*line break.*part of a character/s);
  const about = await page.textContent('#about-model');
  for (const n of [model.n_layer, model.n_head, model.n_embd, model.vocab_size]) assert.ok(about.includes(String(n)), about);
  assert.match(about, /“\|”.*translation/);
  assert.equal(tokens.ids.length > 0, true);
  await page.close();
});

test('generate shows each drawn token with its probability, the engine’s own', async () => {
  const page = await h.open(env, q('他 喜欢 户外 运动 |', '&seed=3'));
  const s = await h.state(page);
  // The sampler reports the probability the bars gave the token it drew.
  const drawn = await page.evaluate(({ text, mask }) => window.__playground.call('sample', { text, mask, temperature: 1, topK: 0, topP: 1, seed: 3 }), s);
  const row = s.next.rows.find((r) => r.id === drawn.ids[0]);
  assert.ok(row, `the drawn token ${drawn.ids[0]} is among the bars`);
  assert.ok(Math.abs(row.probability - drawn.probabilities[0]) < 1e-6);
  assert.equal(drawn.probabilities.length, drawn.ids.length);
  assert.ok(drawn.probabilities.every((p) => p > 0 && p <= 1));

  await page.click('#generate');
  await page.waitForFunction(() => window.__playground.store.get().generating, null, { polling: 50 });
  await page.waitForFunction(() => !window.__playground.store.get().generating, null, { timeout: 120_000, polling: 100 });
  await h.settle(page);
  const after = await h.state(page);
  const sampled = await page.$$eval('#generated .sampled', (n) => n.map((x) => x.textContent));
  assert.equal(sampled.length, after.generated.tokens.length);
  assert.ok(sampled.length > 0 && sampled.every((t) => /\d%|< 0\.01%/.test(t)), sampled.join(' '));
  assert.match(await page.textContent('#generated .generated-hint'), /lower temperature, such as 0\.1/);
  // Typing something else puts the list away.
  await h.type(page, 'The');
  assert.equal(await page.isHidden('#generated'), true);
  await page.close();
});

test('on a phone the current column stays in view, the head grid fits, and hints say tap', async () => {
  const page = await env.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setViewportSize({ width: 390, height: 844 });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
  await page.goto(`${env.url}${q(PAIR, '&step=4')}`);
  await h.ready(page);
  const width = 390;
  for (const step of [3, 4, 5]) {
    await page.click(`#step-list button[data-step="${step}"]`);
    await h.settle(page);
    const box = await page.$eval('#step-view thead th.now', (n) => { const r = n.getBoundingClientRect(); return { left: r.left, right: r.right }; });
    assert.ok(box.left >= 0 && box.right <= width, `step ${step + 1}: current column at ${box.left}–${box.right}`);
    assert.equal(await page.isVisible('#step-view .scroll-hint'), true, 'a wide table says it scrolls');
  }
  const thumbs = await page.$$eval('#grid .thumb', (n) => n.map((x) => x.getBoundingClientRect().right));
  assert.ok(thumbs.length > 0 && thumbs.every((r) => r <= width), `thumbs end at ${thumbs}`);
  const others = await page.$eval('#bars .others .bar-token', (n) => [n.scrollWidth, n.clientWidth, n.textContent]);
  assert.ok(others[0] <= others[1], `“${others[2]}” is cut off`);
  assert.match(await page.textContent('#step-keys'), /Tap/);
  assert.match(await page.textContent('#heatmap-readout'), /^Tap a cell/);
  assert.deepEqual(errors, []);
  await page.close();
});
