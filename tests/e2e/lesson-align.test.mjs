// Lesson chapters 1 (attention is alignment) and 7 (prompts, induction head) in Chromium: both
// chapters in both languages draw their prose and live view with no page error; the numbers on
// the page equal the native CLI's for the same input (`align`, `prompt-formats`, `induction`,
// scalar backend); the learner's own pair, a text without `|`, the head and reading pickers and
// the try-this buttons change the view.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as h from './harness.mjs';

const MODEL = `${h.WWW}/models/default`;
let env;

/** The native command-line engine (scalar backend) on the default model, its JSON. */
function native(...args) {
  const json = execFileSync('cargo', ['run', '--quiet', '--bin', 'attention-playground', '--', ...args, '--backend', 'scalar', '--model', MODEL],
    { cwd: h.ROOT, maxBuffer: 1 << 28, encoding: 'utf8' });
  return JSON.parse(json);
}

/** The chapters' own number formats (1-alignment.js `pct`, 7-prompts.js `sig`). */
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const sig = (x) => `${Number((100 * x).toPrecision(2))}%`;
/** A token as the page labels it (views/dom.js tokenLabel, for the characters these tests meet). */
const label = (text) => text.replace(/ /g, '␣');

before(async () => { env = await h.start(); });
after(async () => { await env?.stop(); });

const shownError = (page) => page.$eval('.lesson-error', (e) => (e.hidden ? null : e.textContent));
const viewHtml = (page) => page.$eval('.lesson-view', (v) => v.innerHTML);
async function typePair(page, text) {
  await page.fill('.lesson-text', text);
  await h.lessonReady(page);
}

/** The alignment grid as the page shows it. */
const grid = (page) => page.$eval('.align-matrix', (table) => ({
  chinese: [...table.querySelectorAll('thead .align-zh')].map((th) => th.textContent),
  english: [...table.querySelectorAll('tbody .align-en-word')].map((s) => s.textContent),
  cells: [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('.align-cell')].map((td) => td.textContent)),
  best: [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('.align-cell')].findIndex((td) => td.classList.contains('best'))),
  rest: [...table.querySelectorAll('tbody .align-rest')].map((td) => td.textContent),
}));

function assertGridIs(shown, want) {
  assert.deepEqual(shown.chinese, want.chinese);
  assert.deepEqual(shown.english, want.english);
  assert.deepEqual(shown.cells, want.weights.map((row) => row.map(pct)));
  assert.deepEqual(shown.best, want.best);
  assert.deepEqual(shown.rest, want.rest.map(pct));
}

for (const [lang, n] of [['en', 1], ['zh', 1], ['en', 7], ['zh', 7]]) {
  test(`chapter ${n} (${lang}) draws its prose and live view with no error`, async () => {
    const page = await h.openLesson(env, `?chapter=${n}&lang=${lang}`);
    assert.equal(await shownError(page), null);
    const paragraphs = await page.$$eval('.lesson-prose p', (ps) => ps.map((p) => p.textContent));
    assert.ok(paragraphs.length >= 2 && paragraphs.length <= 6);
    // Chinese prose in the Chinese chapter, none in the English one's paragraphs beyond examples.
    const han = paragraphs.join('').match(/\p{Script=Han}/gu)?.length ?? 0;
    assert.ok(lang === 'zh' ? han > 200 : han < 40, `${han} Chinese characters in the ${lang} prose`);
    if (n === 1) {
      assert.equal(await page.$$eval('.align-head', (b) => b.length), 8);
      assert.equal((await grid(page)).english.length, 4);
    } else {
      assert.equal(await page.$$eval('.prompt-card', (c) => c.length), 3);
      assert.equal(await page.$$eval('.induction-heads tbody tr', (r) => r.length), 9, '8 heads and the even spread');
      assert.ok(await page.$eval('.induction-map', (c) => c.width > 0));
    }
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

test('chapter 1: the held-out scores and the best head\'s grid equal the native align command', async () => {
  const text = '他 喜欢 户外 运动 | He likes outdoor sports.';
  const want = native('align', '--text', text);
  const page = await h.openLesson(env, '?chapter=1&lang=en');
  const view = await page.$eval('.lesson-view', (v) => ({ ...v.dataset }));
  assert.deepEqual(view, { layer: String(want.scores.best_layer), head: String(want.scores.best_head), reading: want.scores.best_reading });
  // Every head's score, for the reading shown.
  const heads = await page.$$eval('.align-head', (bs) => bs.map((b) => ({ layer: Number(b.dataset.layer), head: Number(b.dataset.head), score: Number(b.dataset.score), shown: b.querySelector('.align-head-score').textContent })));
  assert.equal(heads.length, want.scores.heads.length);
  heads.forEach((got, i) => {
    const w = want.scores.heads[i];
    assert.deepEqual([got.layer, got.head], [w.layer, w.head]);
    assert.ok(Math.abs(got.score - w[want.scores.best_reading]) < 1e-6, `head ${i}: ${got.score} vs ${w[want.scores.best_reading]}`);
    assert.equal(got.shown, pct(w[want.scores.best_reading]));
  });
  const summary = await page.textContent('.align-score');
  const beyondOrder = (100 * (want.scores.best_score - want.scores.position)).toFixed(1);
  for (const figure of [pct(want.scores.best_score), pct(want.scores.chance), pct(want.scores.position), beyondOrder, String(want.scores.pairs), String(want.scores.words)]) {
    assert.ok(summary.includes(figure), `${figure} in “${summary}”`);
  }
  assertGridIs(await grid(page), want.alignment);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('chapter 1: another head, the other reading, a typed pair and the try-this buttons follow the native numbers', async () => {
  const page = await h.openLesson(env, '?chapter=1&lang=zh');
  // Layer 1, head 3 of the page (0-based 0, 2), read at each word's own token.
  await page.click('.align-head[data-layer="0"][data-head="2"]');
  await h.lessonReady(page);
  await page.click('.align-reading[data-reading="own"]');
  await h.lessonReady(page);
  let text = '他 喜欢 户外 运动 | He likes outdoor sports.';
  let want = native('align', '--text', text, '--layer', '0', '--head', '2', '--reading', 'own');
  assertGridIs(await grid(page), want.alignment);
  assert.equal(await page.getAttribute('.align-head[data-layer="0"][data-head="2"]', 'aria-pressed'), 'true');
  assert.equal(await page.textContent('.align-head[data-layer="0"][data-head="2"] .align-head-score'), pct(want.scores.heads[2].own));
  assert.equal(await page.isHidden('.align-best-again'), false);
  await page.click('.align-best-again');
  await h.lessonReady(page);
  // Chosen by keyboard, a head keeps the focus while the view redraws.
  await page.focus('.align-head[data-layer="1"][data-head="0"]');
  await page.keyboard.press('Enter');
  await h.lessonReady(page);
  assert.equal(await page.$eval('.lesson-view', (v) => `${v.dataset.layer},${v.dataset.head}`), '1,0');
  assert.equal(await page.evaluate(() => document.activeElement?.matches('.align-head[data-layer="1"][data-head="0"]')), true);
  await page.click('.align-best-again');
  await h.lessonReady(page);

  // The learner's own pair, on the best head.
  text = '我 喜欢 喝 水 | I like drinking water.';
  await typePair(page, text);
  assertGridIs(await grid(page), native('align', '--text', text).alignment);

  // Chinese words run together: one word, and a note saying how to split them.
  await typePair(page, '我喜欢苹果 | I like apples.');
  assert.equal((await grid(page)).chinese.length, 1);
  assert.equal(await page.isVisible('.align-one-word'), true);

  // Without a `|`, or with nothing after it yet: a message in the chapter's language, not an error.
  for (const half of ['小明 喜欢 苹果', '小明 喜欢 苹果 | ']) {
    await typePair(page, half);
    assert.equal(await shownError(page), null);
    assert.match(await page.textContent('.align-message'), /^本章需要一对句子/);
    assert.equal(await page.isHidden('.align-body'), true);
  }

  // Try this: the study's pair (Xiaoming never occurs in the data), a held-out pair, the other reading.
  const before = await viewHtml(page);
  await page.click('.lesson-try[data-try="0"]');
  await h.lessonReady(page);
  assert.notEqual(await viewHtml(page), before);
  want = native('align', '--text', '小明 喜欢 苹果 | Xiaoming likes apples.');
  assertGridIs(await grid(page), want.alignment);
  await page.click('.lesson-try[data-try="2"]');
  await h.lessonReady(page);
  assert.equal(await page.$eval('.lesson-view', (v) => v.dataset.reading), 'own');
  assertGridIs(await grid(page), native('align', '--text', '小明 喜欢 苹果 | Xiaoming likes apples.', '--reading', 'own').alignment);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('chapter 7: the three prompt formats equal the native prompt-formats command', async () => {
  const page = await h.openLesson(env, '?chapter=7&lang=en');
  const text = await page.inputValue('.lesson-text');
  const want = native('prompt-formats', '--text', text).prompts;
  const cards = await page.$$eval('.prompt-card', (cs) => cs.map((c) => ({
    prompt: c.querySelector('.prompt-text').textContent,
    shares: Object.fromEntries([...c.querySelectorAll('.prompt-share-list li')].map((li) => [li.dataset.script, Number(li.dataset.value)])),
    ids: [...c.querySelectorAll('.prompt-top li')].map((li) => Number(li.dataset.id)),
    top: [...c.querySelectorAll('.prompt-top .prompt-p')].map((s) => s.textContent),
    continuation: c.querySelector('.prompt-goes-on mark').textContent,
  })));
  assert.equal(cards.length, 3);
  cards.forEach((card, i) => {
    const w = want[i];
    assert.equal(card.prompt, w.prompt);
    for (const s of ['english', 'chinese', 'other']) assert.ok(Math.abs(card.shares[s] - w[s]) < 1e-5, `${w.prompt}: ${s} ${card.shares[s]} vs ${w[s]}`);
    assert.deepEqual(card.ids, w.top.slice(0, 5).map((t) => t.id));
    assert.deepEqual(card.top, w.top.slice(0, 5).map((t) => sig(t.probability)));
    assert.equal(card.continuation, w.continuation);
  });
  // The point of the view: the `|` steers the model into English.
  assert.ok(want[0].english > 0.5 && want[1].english < want[0].english / 5);
  assert.ok((await page.textContent('.prompt-summary')).includes(pct(want[0].english)));

  // The learner's own sentence.
  await typePair(page, '今天 天气 很 好');
  const again = native('prompt-formats', '--text', '今天 天气 很 好').prompts;
  assert.deepEqual(await page.$$eval('.prompt-card .prompt-goes-on mark', (ms) => ms.map((m) => m.textContent)), again.map((p) => p.continuation));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('chapter 7: the repeated random tokens, every head\'s scores and both passes equal the native induction command', async () => {
  const page = await h.openLesson(env, '?chapter=7&lang=zh');
  const check = async (seed, length) => {
    const want = native('induction', '--seed', String(seed), '--length', String(length));
    const dataset = await page.$eval('.lesson-view', (v) => ({ ...v.dataset }));
    assert.equal(dataset.seed, String(seed));
    assert.equal(dataset.length, String(length));
    const chips = await page.$$eval('.induction-sequence .chip-sample', (cs) => cs.map((c) => c.textContent));
    assert.deepEqual(chips, want.labels.map(label));
    assert.equal(await page.$eval('.induction-verdict', (p) => p.dataset.induction), String(want.has_induction_head));
    const verdict = await page.textContent('.induction-verdict');
    for (const figure of [sig(want.best_score), sig(want.even_induction), sig(want.threshold)]) assert.ok(verdict.includes(figure), `${figure} in ${verdict}`);
    const rows = await page.$$eval('.induction-heads tbody tr:not(.even)', (trs) => trs.map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.col, td.textContent]))));
    rows.forEach((row, i) => {
      for (const col of ['induction', 'previous_token', 'itself', 'first', 'duplicate']) assert.equal(row[col], sig(want.heads[i][col]), `head ${i} ${col}`);
    });
    const gain = await page.$eval('.induction-gain', (p) => ({ ...p.dataset }));
    const close = (a, b) => Math.abs(a - b) <= 1e-7 + 1e-3 * Math.abs(b);
    assert.ok(close(Number(gain.first), want.mean_first) && close(Number(gain.second), want.mean_second), `${JSON.stringify(gain)} vs ${want.mean_first}, ${want.mean_second}`);
    const passes = await page.$$eval('.induction-passes tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(passes, [want.first_pass.map(sig), want.second_pass.map(sig)]);
    // The map shows the best copying head unless one was picked.
    assert.deepEqual([dataset.layer, dataset.head], [String(want.best_layer), String(want.best_head)]);
    return want;
  };
  const first = await check(1, 20);
  // Pointing at a cell of the map names its tokens and weight: the native weight of that head.
  await page.$eval('.induction-map', (c) => c.scrollIntoView());
  const box = await (await page.$('.induction-map')).boundingBox();
  const t = 40;
  const [q, k] = [30, 11];
  await page.mouse.move(box.x + ((k + 0.5) * box.width) / t, box.y + ((q + 0.5) * box.height) / t);
  const w = first.weights[((first.best_layer * 4 + first.best_head) * t + q) * t + k];
  assert.equal(await page.getAttribute('.induction-map', 'title'), `${q + 1} ${label(first.labels[q])} → ${k + 1} ${label(first.labels[k])}: ${sig(w)}`);
  // The view's own button draws new tokens.
  const before = await page.$$eval('.induction-sequence .chip-sample', (cs) => cs.map((c) => c.textContent));
  await page.click('.induction-again');
  await h.lessonReady(page);
  assert.notDeepEqual(await page.$$eval('.induction-sequence .chip-sample', (cs) => cs.map((c) => c.textContent)), before);
  await check(2, 20);
  // Another head's map.
  const map = () => page.$eval('.induction-map', (c) => c.toDataURL());
  const shown = await map();
  const other = await page.$eval('.induction-pick[aria-pressed="false"]', (b) => b.closest('tr').dataset);
  await page.click(`.induction-heads tr[data-layer="${other.layer}"][data-head="${other.head}"] .induction-pick`);
  await h.lessonReady(page);
  assert.deepEqual(await page.$eval('.lesson-view', (v) => [v.dataset.layer, v.dataset.head]), [other.layer, other.head]);
  assert.notEqual(await map(), shown);
  // By keyboard, the focus stays on the head chosen.
  await page.focus('.induction-heads tr[data-layer="0"][data-head="0"] .induction-pick');
  await page.keyboard.press('Enter');
  await h.lessonReady(page);
  assert.deepEqual(await page.$eval('.lesson-view', (v) => [v.dataset.layer, v.dataset.head]), ['0', '0']);
  assert.equal(await page.evaluate(() => document.activeElement?.closest('tr')?.dataset.head), '0');
  assert.equal(await page.getAttribute('.induction-heads tr[data-layer="0"][data-head="0"] .induction-pick', 'aria-pressed'), 'true');
  // Try this: the longest repeat that fits.
  await page.click('.lesson-try[data-try="2"]');
  await h.lessonReady(page);
  await check(3, 32);
  assert.equal(await shownError(page), null);
  assert.deepEqual(page.errors, []);
  await page.close();
});
