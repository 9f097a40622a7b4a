// Chapter 3 (RNN vs attention) in Chromium: it renders in both languages with no page error; its
// bars and next-token guesses for a sentence are the native CLI's `influence` numbers for the
// same sentence (GPT and recurrent net alike); the try-this buttons change the sentence and the
// view; the recurrent net's files are fetched in chapter 3 only, and are small.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import * as h from './harness.mjs';

let env;
/** What the server answers instead of the shipped files, by path (see harness `override`). */
const broken = {};
before(async () => { env = await h.start({ override: (rel) => broken[rel] }); });
after(async () => { await env?.stop(); });

/** The native engine's answer for `text` (scalar backend: the reference). */
function cliInfluence(text) {
  const json = execFileSync('cargo', [
    'run', '--quiet', '--bin', 'attention-playground', '--',
    'influence', '--text', text, '--backend', 'scalar', '--gpt', `${h.WWW}/models/default`, '--rnn', `${h.WWW}/models/rnn`,
  ], { cwd: h.ROOT, maxBuffer: 1 << 26, encoding: 'utf8' });
  return JSON.parse(json);
}

/** What the chapter shows: every bar's exact value (its data attribute) and the guesses. */
const shown = (page) => page.evaluate(() => {
  const view = document.querySelector('.lesson-view');
  const bars = (model) => [...view.querySelectorAll(`.rnn-cell[data-model="${model}"]`)].map((c) => ({
    index: Number(c.dataset.index), distance: Number(c.dataset.distance), influence: Number(c.dataset.influence),
  }));
  const guesses = (model) => [...view.querySelectorAll(`.rnn-guesses[data-model="${model}"] li`)].map((li) => ({
    id: Number(li.dataset.id), probability: Number(li.dataset.probability),
  }));
  return {
    tokens: [...view.querySelectorAll('.rnn-token')].map((t) => t.textContent),
    gpt: bars('gpt'), rnn: bars('rnn'), gptTop: guesses('gpt'), rnnTop: guesses('rnn'),
    summaries: [...view.querySelectorAll('.rnn-summary')].map((p) => p.textContent),
  };
});

const rnnRequests = () => env.requests.filter((r) => r.includes('models/rnn/'));

test('the playground and the chapters other than 3 never fetch the recurrent net', async () => {
  const playground = await h.open(env, '');
  await playground.close();
  for (const n of [1, 2, 4, 5, 6, 7]) {
    const page = await h.openLesson(env, `?chapter=${n}&lang=en`);
    await page.close();
  }
  assert.deepEqual(rnnRequests(), [], 'models/rnn/ was requested outside chapter 3');
});

test('a broken recurrent net is a clear error in the chapter, and the chapter recovers', async () => {
  broken['/models/rnn/model.safetensors'] = { body: 'not a safetensors file' };
  const page = await h.openLesson(env, '?chapter=3&lang=en&text=' + encodeURIComponent('小明 喜欢 苹果'));
  assert.equal(await page.$eval('.lesson-error', (e) => e.hidden), false, 'the error is shown');
  assert.match(await page.textContent('.lesson-error'), /safetensors/);
  assert.equal(await page.inputValue('textarea.lesson-text'), '小明 喜欢 苹果', 'the text is kept');
  delete broken['/models/rnn/model.safetensors'];
  await (await page.$$('.lesson-try'))[1].click();
  await h.lessonReady(page);
  assert.equal(await page.$eval('.lesson-error', (e) => e.hidden), true, 'the error is gone');
  assert.equal((await shown(page)).rnn.length, 6, 'the recurrent net answers');
  await page.close();
});

for (const lang of ['en', 'zh']) {
  test(`chapter 3 (${lang}) shows both models' influence with no page error`, async () => {
    const page = await h.openLesson(env, `?chapter=3&lang=${lang}`);
    assert.equal(await page.$eval('.lesson-error', (e) => e.hidden), true, 'no error shown');
    const view = await shown(page);
    assert.ok(view.tokens.length >= 3, `${view.tokens.length} tokens`);
    assert.equal(view.gpt.length, view.tokens.length);
    assert.equal(view.rnn.length, view.tokens.length);
    assert.equal(view.gptTop.length, 5);
    assert.equal(view.rnnTop.length, 5);
    assert.equal(view.summaries.length, 2);
    const title = await page.textContent('.lesson-title');
    assert.equal(title.trim(), lang === 'zh' ? 'RNN 与注意力' : 'RNN vs attention');
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

test('the bars and guesses are the native engine\'s numbers for the same sentence', async () => {
  const text = '他 每天 早上 都 去 公园 跑步 | Every morning he';
  const page = await h.openLesson(env, `?chapter=3&lang=en&text=${encodeURIComponent(text)}`);
  const view = await shown(page);
  const native = cliInfluence(text);
  for (const model of ['gpt', 'rnn']) {
    const want = native[model].tokens;
    assert.equal(view[model].length, want.length, `${model}: token count`);
    view[model].forEach((bar, j) => {
      assert.equal(bar.distance, want[j].distance);
      // The page's GPT may run on another backend than the CLI's scalar reference.
      assert.ok(Math.abs(bar.influence - want[j].influence) <= 1e-4, `${model} token ${j}: page ${bar.influence}, CLI ${want[j].influence}`);
    });
    const top = model === 'gpt' ? view.gptTop : view.rnnTop;
    assert.deepEqual(top.map((c) => c.id), native[model].top.map((c) => c.id), `${model}: the same guesses`);
    top.forEach((c, i) => assert.ok(Math.abs(c.probability - native[model].top[i].probability) <= 1e-4));
  }
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the try-this buttons change the sentence and the bars', async () => {
  const page = await h.openLesson(env, '?chapter=3&lang=zh');
  const first = await shown(page);
  const buttons = await page.$$('.lesson-try');
  assert.equal(buttons.length, 3);
  await buttons[1].click();
  await h.lessonReady(page);
  const second = await shown(page);
  assert.notDeepEqual(second.tokens, first.tokens, 'another sentence is measured');
  assert.equal(await page.inputValue('textarea.lesson-text'), '小明 喜欢 苹果', 'the short sentence');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the recurrent net is fetched in chapter 3, and its weights are at most 0.5 MB gzipped', async () => {
  assert.ok(rnnRequests().some((r) => r.endsWith('models/rnn/model.safetensors')), 'chapter 3 fetched the weights');
  const weights = fs.readFileSync(path.join(h.WWW, 'models/rnn/model.safetensors'));
  const gzipped = zlib.gzipSync(weights, { level: 9 }).length;
  assert.ok(gzipped <= 500_000, `${gzipped} bytes gzipped`);
  assert.ok(!fs.existsSync(path.join(h.WWW, 'models/rnn/tokenizer.json')), 'the tokenizer is the GPT\'s, not a copy');
});
