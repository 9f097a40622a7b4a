// Lesson chapters 4 (layers), 5 (BERT and GPT) and 6 (from scores to words) in Chromium: each in
// both languages with no page error; their numbers equal the native CLI's for the same input
// (`layers`, `fill`, `trace`, `generate` with the same seed, on the scalar reference); the
// try-this buttons change what the view shows; the controls work from the keyboard.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as h from './harness.mjs';

let env;
before(async () => { env = await h.start(); });
after(async () => { await env?.stop(); });

/** The native command-line engine (scalar backend) on a shipped model, its JSON. */
function native(model, ...args) {
  const json = execFileSync('cargo', ['run', '--quiet', '--bin', 'attention-playground', '--', ...args, '--backend', 'scalar', '--model', `${h.WWW}/models/${model}`],
    { cwd: h.ROOT, maxBuffer: 1 << 28, encoding: 'utf8' });
  return JSON.parse(json);
}

/** The browser runs on the SIMD backend, the CLI on the scalar one: equal to rounding. */
const close = (a, b, tol = 1e-4) => Math.abs(a - b) <= tol + Math.abs(b) * tol;
/** A number as chapter 6 prints it: a true minus sign, powers of ten as 1.23e−5. */
const num = (text) => Number(text.trim().replaceAll('−', '-'));

for (const [n, lang] of [4, 5, 6].flatMap((c) => [[c, 'en'], [c, 'zh']])) {
  test(`chapter ${n} (${lang}) draws its live view with no page error`, async () => {
    const page = await h.openLesson(env, `?chapter=${n}&lang=${lang}`);
    assert.equal(await page.$eval('.lesson-error', (e) => e.hidden), true);
    assert.ok(await page.$$eval('.lesson-view .part-bar', (bars) => bars.length) >= 5, 'probability bars drawn');
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

/** Chapter 4's numbers as the page shows them. */
const layersShown = (page) => page.evaluate(() => ({
  focus: Number(document.querySelector('.lesson-view').dataset.focus),
  stages: [...document.querySelectorAll('.ly-stage')].map((stage) => ({
    ids: [...stage.querySelectorAll('.part-bar')].map((b) => Number(b.dataset.id)),
    probabilities: [...stage.querySelectorAll('.part-bar')].map((b) => Number(b.dataset.probability)),
    rank: Number(stage.querySelector('.ly-answer').dataset.rank),
  })),
  layerDistances: [...document.querySelectorAll('.ly-layer-distance')].map((p) => Number(p.dataset.value)),
  heads: [...document.querySelectorAll('.ly-layer')].map((layer) => [...layer.querySelectorAll('.ly-head')].map((head) => ({
    distance: Number(head.querySelector('.ly-distance').dataset.value),
    pattern: head.dataset.pattern,
  }))),
  adds: [...document.querySelectorAll('.ly-adds-table tbody tr')].map((row) => [...row.querySelectorAll('td')].map((td) => Number(td.dataset.value))),
}));

function assertLayersEqual(shown, cli) {
  assert.equal(shown.focus, cli.focus);
  assert.equal(shown.stages.length, cli.lens.length);
  shown.stages.forEach((stage, s) => {
    assert.deepEqual(stage.ids, cli.lens[s].top.map((c) => c.id), `stage ${s}`);
    stage.probabilities.forEach((p, i) => assert.ok(close(p, cli.lens[s].top[i].probability), `stage ${s} #${i}: ${p} vs ${cli.lens[s].top[i].probability}`));
    assert.equal(stage.rank, cli.lens[s].answer_rank, `stage ${s} rank`);
  });
  assert.equal(shown.layerDistances.length, cli.layers.length);
  shown.layerDistances.forEach((d, l) => assert.ok(close(d, cli.layers[l].mean_distance), `layer ${l} distance`));
  shown.heads.forEach((heads, l) => heads.forEach((head, hh) => {
    const want = cli.layers[l].heads[hh];
    assert.ok(close(head.distance, want.mean_distance), `layer ${l} head ${hh}`);
    assert.equal(head.pattern, want.pattern);
  }));
  // Each row: token i's (attention, MLP) per layer.
  shown.adds.forEach((row, i) => cli.layers.forEach((layer, l) => {
    assert.ok(close(row[2 * l], layer.attention[i]) && close(row[2 * l + 1], layer.mlp[i]), `token ${i} layer ${l}`);
  }));
}

test('chapter 4: the lens, the head numbers and the contributions are the native `layers` command’s; a token button moves the focus', async () => {
  const text = '小明 喜欢 苹果';
  const page = await h.openLesson(env, `?chapter=4&lang=en&text=${encodeURIComponent(text)}`);
  assertLayersEqual(await layersShown(page), native('default', 'layers', '--text', text));
  // The last stage is the model's own prediction: the same top tokens as `trace`.
  const trace = native('default', 'trace', '--text', text, '--top', '5', '--layer', '0');
  assert.deepEqual((await layersShown(page)).stages.at(-1).ids, trace.next_token.top.map((c) => c.id));

  // Keyboard: Tab to the button of token 3 (喜欢) and press Enter.
  await page.focus('.part-token[data-token="1"]');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.token), '2');
  await page.keyboard.press('Enter');
  await h.lessonReady(page);
  assert.equal((await page.evaluate(() => window.__lessons.state())).focus, 2);
  assert.equal(await page.getAttribute('.part-token[data-token="2"]', 'aria-pressed'), 'true');
  assertLayersEqual(await layersShown(page), native('default', 'layers', '--text', text, '--focus', '2'));

  // Try "To be or not to": another sentence, its own numbers.
  await page.click('.lesson-try[data-try="1"]');
  await h.lessonReady(page);
  assertLayersEqual(await layersShown(page), native('default', 'layers', '--text', 'To be or not to'));
  // Try "The king is": its label promises a head that looks at the previous token; the numbers say so.
  await page.click('.lesson-try[data-try="2"]');
  await h.lessonReady(page);
  const king = await layersShown(page);
  assertLayersEqual(king, native('default', 'layers', '--text', 'The king is'));
  assert.ok(king.heads.flat().some((head) => head.pattern === 'previous'), 'a previous-token head');
  assert.ok(await page.$$eval('.ly-pattern.previous', (p) => p.length) >= 1);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('chapter 5: the encoder fills the blank and the GPT guesses after the word before it, as the native `fill` and `trace` do', async () => {
  for (const [text, lang] of [['他 喜欢 [MASK] 运动', 'zh'], ['I [MASK] apples.', 'en']]) {
    const page = await h.openLesson(env, `?chapter=5&lang=${lang}&text=${encodeURIComponent(text)}`);
    const shown = await page.evaluate(() => {
      const column = (name) => {
        const box = document.querySelector(`.bg-model[data-model="${name}"]`);
        return {
          ids: [...box.querySelectorAll('.part-bar')].map((b) => Number(b.dataset.id)),
          probabilities: [...box.querySelectorAll('.part-bar')].map((b) => Number(b.dataset.probability)),
          grid: [...box.querySelectorAll('.bg-mask tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.classList.contains('seen') ? 1 : 0))),
          answering: [...box.querySelectorAll('.bg-mask tbody tr')].findIndex((tr) => tr.classList.contains('answering')),
        };
      };
      return { blank: Number(document.querySelector('.lesson-view').dataset.blank), gpt: column('default'), encoder: column('encoder'), same: document.querySelector('.lesson-view').dataset.sameBlocks };
    });
    const fill = native('encoder', 'fill', '--text', text, '--top', '5').masks[0];
    assert.equal(shown.blank, fill.position);
    assert.deepEqual(shown.encoder.ids, fill.candidates.map((c) => c.id));
    shown.encoder.probabilities.forEach((p, i) => assert.ok(close(p, fill.candidates[i].probability), `${text}: fill #${i}`));
    // The GPT at the token before the blank sees only the words on its left: its next token is
    // the native trace's for the text before the [MASK].
    const left = text.slice(0, text.indexOf('[MASK]')).trimEnd();
    const gpt = native('default', 'trace', '--text', left, '--top', '5', '--layer', '0');
    assert.equal(gpt.trace.ids.length, fill.position, 'the text before the blank is the tokens before it');
    assert.deepEqual(shown.gpt.ids, gpt.next_token.top.map((c) => c.id));
    shown.gpt.probabilities.forEach((p, i) => assert.ok(close(p, gpt.next_token.top[i].probability), `${text}: gpt #${i}`));
    // The masks as the engine ran them (the native trace's), the answering rows outlined.
    const t = shown.encoder.grid.length;
    const cliMask = (model) => {
      const { allowed } = native(model, 'trace', '--text', text, '--layer', '0', '--top', '1').shown;
      return Array.from({ length: t }, (_, i) => allowed.slice(i * t, (i + 1) * t));
    };
    assert.deepEqual(shown.gpt.grid, cliMask('default'));
    assert.deepEqual(shown.encoder.grid, cliMask('encoder'));
    assert.ok(shown.gpt.grid.every((row, i) => row.every((seen, j) => seen === Number(j <= i))), 'the GPT looks back only');
    assert.deepEqual([shown.gpt.answering, shown.encoder.answering], [fill.position - 1, fill.position]);
    assert.equal(shown.same, 'true');
    assert.deepEqual(page.errors, []);
    await page.close();
  }
});

test('chapter 5: without a blank the encoder says how to make one; a blank first leaves the GPT nothing', async () => {
  const page = await h.openLesson(env, `?chapter=5&lang=en&text=${encodeURIComponent('小明 喜欢 苹果')}`);
  assert.match(await page.textContent('.bg-model[data-model="encoder"] .bg-answer'), /\[MASK\]/);
  assert.ok(await page.$$eval('.bg-model[data-model="default"] .part-bar', (b) => b.length) === 5, 'the GPT still guesses the next token');
  await page.fill('.lesson-text', '[MASK] 喜欢 苹果');
  await h.lessonReady(page);
  assert.match(await page.textContent('.bg-model[data-model="default"] .bg-answer'), /nothing on its left/);
  assert.equal(await page.$$eval('.bg-model[data-model="encoder"] .part-bar', (b) => b.length), 5);
  assert.deepEqual(page.errors, []);
  await page.close();
});

/** Chapter 6's bars and written-out arithmetic. */
const samplingShown = (page) => page.evaluate(() => ({
  ids: [...document.querySelectorAll('.sm-bars .part-bar')].map((b) => Number(b.dataset.id)),
  probabilities: [...document.querySelectorAll('.sm-bars .part-bar')].map((b) => Number(b.dataset.probability)),
  cut: [...document.querySelectorAll('.sm-bars .part-bar')].map((b) => b.classList.contains('cut')),
  table: [...document.querySelectorAll('.sm-table tbody tr')].map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.col, td.textContent]))),
  written: document.querySelector('.sm-written').textContent,
  constants: document.querySelector('.sm-constants').textContent,
}));

function assertSamplingEqual(shown, cli, label) {
  const { steps, top } = cli.next_token;
  assert.deepEqual(shown.ids, top.map((c) => c.id), label);
  shown.probabilities.forEach((p, i) => assert.ok(close(p, top[i].probability), `${label} #${i}`));
  assert.deepEqual(shown.cut, top.map((c) => !steps.kept[c.id]), label);
  shown.table.forEach((row, i) => {
    const id = shown.ids[i];
    // The page prints 3 decimals (or powers of ten for tiny numbers) of the engine's numbers.
    for (const [col, want] of [['logit', steps.logits[id]], ['scaled', steps.scaled[id]], ['exp', steps.exp[id]]]) {
      const got = num(row[col]);
      assert.ok(Math.abs(got - want) <= 0.0015 + Math.abs(want) * 0.01, `${label} ${col} #${i}: ${row[col]} vs ${want}`);
    }
  });
  assert.ok(shown.written.includes(`÷ ${steps.exp_sum.toFixed(3)}`), `${shown.written} has Σ = ${steps.exp_sum}`);
  const kept = steps.kept.filter(Boolean).length;
  assert.ok(shown.constants.includes(`over the ${kept} tokens kept`), `${shown.constants}: ${kept} kept`);
}

test('chapter 6: the probabilities and their arithmetic are the native `trace`’s at every setting; sampling is `generate`’s with the same seed', async () => {
  const text = '我 喜欢 吃';
  const page = await h.openLesson(env, `?chapter=6&lang=en&text=${encodeURIComponent(text)}`);
  const trace = (...args) => native('default', 'trace', '--text', text, '--top', '10', '--layer', '0', ...args);
  assertSamplingEqual(await samplingShown(page), trace(), 'T 1');
  const top1 = (await samplingShown(page)).probabilities[0];

  // Try 1: temperature 0.3, sharper; try 3: top-p 0.5 cuts the tail.
  await page.click('.lesson-try[data-try="0"]');
  await h.lessonReady(page);
  const cold = await samplingShown(page);
  assertSamplingEqual(cold, trace('--temperature', '0.3'), 'T 0.3');
  assert.ok(cold.probabilities[0] > top1);
  await page.click('.lesson-try[data-try="2"]');
  await h.lessonReady(page);
  const nucleus = await samplingShown(page);
  assertSamplingEqual(nucleus, trace('--top-p', '0.5'), 'top-p 0.5');
  assert.ok(nucleus.cut.some(Boolean), 'top-p 0.5 removes some of the ten');

  // Keyboard: the temperature slider moves by its step with the arrow keys; top-k takes typing.
  await page.focus('.sm-temperature');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await h.lessonReady(page);
  let state = await page.evaluate(() => window.__lessons.state());
  assert.equal(state.temperature, 1.1);
  await page.focus('.sm-topK');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('3');
  await h.lessonReady(page);
  state = await page.evaluate(() => window.__lessons.state());
  assert.deepEqual([state.topK, state.topP], [3, 0.5]);
  assertSamplingEqual(await samplingShown(page), trace('--temperature', '1.1', '--top-k', '3', '--top-p', '0.5'), 'T 1.1, k 3, p 0.5');

  // Draw with the seed shown: the tokens `generate` draws with that seed and these settings.
  const drawOnce = async (selector) => {
    const count = await page.$$eval('.sm-log li', (l) => l.length);
    await page.click(selector);
    await page.waitForFunction((c) => document.querySelectorAll('.sm-log li').length > c, count, { timeout: 30_000 });
    await h.lessonReady(page);
    return page.$eval('.sm-log li:last-child', (li) => ({ ids: li.dataset.ids.split(',').map(Number), seed: Number(li.dataset.seed) }));
  };
  await page.fill('.sm-seed', '7');
  await h.lessonReady(page);
  assert.match(await page.textContent('.sm-draw'), /seed 7/);
  const before = (await page.evaluate(() => window.__lessons.state())).text;
  const drawn = await drawOnce('.sm-draw');
  assert.equal(drawn.seed, 7);
  const generated = native('default', 'generate', '--text', before, '--max-tokens', String(drawn.ids.length), '--seed', '7',
    '--temperature', '1.1', '--top-k', '3', '--top-p', '0.5');
  assert.deepEqual(drawn.ids, generated.ids);
  state = await page.evaluate(() => window.__lessons.state());
  assert.equal(state.text, before + generated.text, 'the drawn token is appended to the text');
  assert.equal(state.seed, 8, 'the next draw gets the next seed');
  assert.equal(await page.inputValue('.lesson-text'), state.text);

  // Greedy: the most probable token, as `generate --greedy` takes it.
  const greedy = await drawOnce('.sm-greedy');
  const cli = native('default', 'generate', '--text', state.text, '--max-tokens', String(greedy.ids.length), '--greedy');
  assert.deepEqual(greedy.ids, cli.ids);
  assert.equal(await page.$$eval('.sm-log li', (l) => l.length), 2);
  // Another setting keeps the list; typing starts a new one (below, after Back to the start).
  await page.focus('.sm-topP');
  await page.keyboard.press('ArrowLeft');
  await h.lessonReady(page);
  assert.equal((await page.evaluate(() => window.__lessons.state())).topP, 0.45);
  assert.equal(await page.$$eval('.sm-log li', (l) => l.length), 2);
  // Back to the start: the text before the first draw, and an empty list.
  await page.click('.sm-restart');
  await h.lessonReady(page);
  assert.equal((await page.evaluate(() => window.__lessons.state())).text, before);
  assert.equal(await page.$$eval('.sm-log li', (l) => l.length), 0);
  await drawOnce('.sm-draw');
  await page.type('.lesson-text', '饭');
  await h.lessonReady(page);
  assert.equal(await page.$$eval('.sm-log li', (l) => l.length), 0, 'typing starts a new generation');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('<attention-lesson> shows chapters 4, 5 and 6 in someone else’s page, styled, sharing one engine', async () => {
  const page = await env.context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(`${env.url}example-chapters.html`);
  await page.evaluate(async () => {
    await customElements.whenDefined('attention-lesson');
    for (const [chapter, lang] of [['4', 'zh'], ['5', 'en'], ['6', 'zh']]) {
      const lesson = document.createElement('attention-lesson');
      Object.assign(lesson, { id: `d-${chapter}` });
      lesson.setAttribute('chapter', chapter);
      lesson.setAttribute('lang', lang);
      document.body.prepend(lesson);
    }
  });
  for (const n of [4, 5, 6]) {
    await page.locator(`#d-${n}`).scrollIntoViewIfNeeded();
    await page.waitForFunction((id) => document.getElementById(id).lesson, `d-${n}`, { timeout: 30_000 });
    await page.evaluate((id) => document.getElementById(id).settle(), `d-${n}`);
    const view = await page.evaluate((id) => {
      const root = document.getElementById(id).shadowRoot;
      const bar = root.querySelector('.part-bar-fill');
      return { bars: root.querySelectorAll('.part-bar').length, fill: bar && getComputedStyle(bar).backgroundColor, error: root.querySelector('.lesson-error')?.hidden };
    }, `d-${n}`);
    assert.ok(view.bars >= 5, `chapter ${n} drew its bars`);
    assert.equal(view.fill, 'rgb(33, 145, 140)', `chapter ${n}: parts.css reached the shadow root`);
    assert.equal(view.error, true);
  }
  const stats = await page.evaluate(async () => (await import('./engine-client.js')).engineDebug.stats());
  assert.equal(stats.workers, 1, 'one worker for every lesson on the page');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('chapters 4–6 with odd input: an empty box, a text past the context, a character the model never saw', async () => {
  const long = '小明 喜欢 苹果 。 '.repeat(30);
  for (const n of [4, 5, 6]) {
    const page = await h.openLesson(env, `?chapter=${n}&lang=en`);
    await page.fill('.lesson-text', '');
    await h.lessonReady(page);
    assert.match(await page.textContent('.lesson-view'), /Type a sentence above/);
    assert.equal(await page.$$eval('.lesson-view .part-bar', (b) => b.length), 0);
    // Past the context: the tokens that fit are run (the playground's rule), nothing breaks.
    await page.fill('.lesson-text', n === 5 ? `${long}[MASK]` : long);
    await h.lessonReady(page);
    assert.ok(await page.$$eval('.lesson-view .part-bar', (b) => b.length) >= 5, `chapter ${n}, a long text`);
    // 鲸 is spelled in byte pieces: a piece predicted is labelled as part of a character.
    await page.fill('.lesson-text', n === 5 ? '鲸 [MASK] 鱼' : '鲸');
    await h.lessonReady(page);
    assert.ok(await page.$$eval('.lesson-view .part-bar', (b) => b.length) >= 5, `chapter ${n}, 鲸`);
    assert.equal(await page.$eval('.lesson-error', (e) => e.hidden), true, `chapter ${n}: no error shown`);
    assert.deepEqual(page.errors, []);
    await page.close();
  }
});

test('chapter 4: a click on a heatmap row follows that token, as its button does', async () => {
  const page = await h.openLesson(env, `?chapter=4&lang=zh&text=${encodeURIComponent('小明 喜欢 苹果')}`);
  const canvas = page.locator('.ly-layer[data-layer="1"] .ly-head[data-head="2"] canvas');
  const box = await canvas.boundingBox();
  await canvas.click({ position: { x: box.width / 2, y: (1.5 * box.height) / 6 } }); // row 2 of 6
  await h.lessonReady(page);
  assert.equal((await page.evaluate(() => window.__lessons.state())).focus, 1);
  assert.equal(await page.getAttribute('.part-token[data-token="1"]', 'aria-pressed'), 'true');
  assert.equal(await page.$eval('.lesson-view', (v) => v.dataset.focus), '1');
  assert.deepEqual(page.errors, []);
  await page.close();
});
