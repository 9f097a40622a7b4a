// The lessons page (lessons.html) in Chromium: every chapter in both languages renders its title,
// prose and live view with no page error (screenshots on a desktop and a phone go to
// tests/e2e/screenshots/lessons/ for a person to look at); the try-this buttons change the view;
// the question gives feedback and the table of contents remembers it; keyboard-only use works;
// the link carries the state; chapter 2's numbers equal the native engine's `trace`; the
// <attention-lesson> element; and the built site under a strict Content-Security-Policy.
//
// LESSON_CHAPTERS=2 (or "1,2,7") limits the chapters checked one by one; the default is all seven.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as h from './harness.mjs';
import { buildSite } from '../../scripts/build-site.mjs';

const CHAPTERS = (process.env.LESSON_CHAPTERS || '1,2,3,4,5,6,7').split(',').map(Number).filter((n) => n >= 1 && n <= 7);
const SHOTS = path.join(h.SCREENSHOTS, 'lessons');
const TEXT = '小明 喜欢 苹果';
let env;

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  env = await h.start();
});
after(async () => { await env?.stop(); });

const openLesson = (query, options) => h.openLesson(env, query, options);
const { lessonReady } = h;

/** The chapter module as the page loaded it (its own prose, to compare with what is shown). */
const chapterModule = (page, n) => page.evaluate(async (number) => {
  const { CHAPTERS: all } = await import('./lessons/shell.js');
  const { default: chapter } = await import(`./lessons/chapters/${all[number - 1].file}`);
  return { text: chapter.text, tries: chapter.tries, initial: chapter.initial };
}, n);

const viewHtml = (page) => page.$eval('.lesson-view', (v) => v.innerHTML);
const shownError = (page) => page.$eval('.lesson-error', (e) => (e.hidden ? null : e.textContent));

for (const n of CHAPTERS) {
  for (const lang of ['en', 'zh']) {
    test(`chapter ${n} (${lang}) renders its title, prose and live view; screenshots`, async () => {
      const page = await openLesson(`?chapter=${n}&lang=${lang}`);
      assert.equal(await shownError(page), null);
      const { text } = await chapterModule(page, n);
      assert.equal((await page.textContent('.lesson-title')).trim(), text[lang].title);
      const paragraphs = await page.$$eval('.lesson-prose p', (ps) => ps.map((p) => p.textContent));
      assert.ok(paragraphs.length >= 2 && paragraphs.length <= 6, `${paragraphs.length} paragraphs`);
      assert.equal(paragraphs.length, text[lang].paragraphs.length);
      assert.equal(paragraphs[0], text[lang].paragraphs[0].replace(/`|\*\*/g, ''));
      assert.equal((await page.textContent('.lesson-where')).trim(), lang === 'zh' ? `第 ${n} 章，共 7 章` : `Chapter ${n} of 7`);
      assert.equal(await page.getAttribute(`.toc-link[data-chapter="${n}"]`, 'aria-current'), 'page');
      assert.ok((await viewHtml(page)).length > 200, 'the live view drew something');
      assert.ok(await page.$$eval('.lesson-try', (b) => b.length) >= 1, 'at least one try-this button');
      assert.ok(await page.$$eval('.lesson-option', (b) => b.length) >= 2, 'a question with options');
      await page.screenshot({ path: path.join(SHOTS, `chapter-${n}-${lang}-desktop.png`), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await page.screenshot({ path: path.join(SHOTS, `chapter-${n}-${lang}-phone.png`), fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the page is ${overflow}px wider than the phone`);
      // Dark, as the system asks.
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bg').trim()), '#17181b');
      await page.screenshot({ path: path.join(SHOTS, `chapter-${n}-${lang}-desktop-dark.png`), fullPage: true });
      assert.deepEqual(page.errors, []);
      await page.close();
    });
  }

  test(`chapter ${n}: each try-this button changes the view; the question gives feedback`, async () => {
    const page = await openLesson(`?chapter=${n}&lang=en`);
    const { tries, text } = await chapterModule(page, n);
    for (let i = 0; i < tries.length; i++) {
      const before = await viewHtml(page);
      await page.click(`.lesson-try[data-try="${i}"]`);
      await lessonReady(page);
      const state = await page.evaluate(() => window.__lessons.state());
      for (const [key, value] of Object.entries(tries[i])) assert.deepEqual(state[key], value, `try ${i}: ${key}`);
      assert.equal(await page.inputValue('.lesson-text'), state.text);
      assert.notEqual(await viewHtml(page), before, `try ${i} (${text.en.tries[i]}) left the view as it was`);
      assert.equal(await shownError(page), null);
    }
    const options = text.en.question.options;
    for (let i = 0; i < options.length; i++) {
      await page.click(`.lesson-option[data-option="${i}"]`);
      const feedback = await page.$eval('.lesson-feedback', (f) => ({ verdict: f.dataset.verdict, text: f.textContent, live: f.getAttribute('aria-live') }));
      assert.equal(feedback.verdict, options[i].correct ? 'right' : 'wrong');
      assert.equal(feedback.live, 'polite');
      assert.ok(feedback.text.includes(options[i].feedback.replace(/`|\*\*/g, '')), feedback.text);
      assert.equal(await page.getAttribute(`.lesson-option[data-option="${i}"]`, 'aria-pressed'), 'true');
    }
    assert.equal(options.filter((o) => o.correct).length, 1, 'exactly one right answer');
    // Answered right once: the table of contents says so, and remembers it.
    assert.equal((await page.evaluate(() => window.__lessons.progress())).answered[n], 'right');
    await page.reload();
    await lessonReady(page);
    assert.equal(await page.$eval(`.toc-link[data-chapter="${n}"] .toc-mark.right`, (m) => m.textContent.includes('✓')), true);
    assert.match(await page.textContent('#toc-summary'), /Questions answered right: [1-7]/);
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

test('keyboard only: table of contents, previous/next, arrows, question options', async () => {
  const n = CHAPTERS.includes(2) ? 2 : CHAPTERS[0];
  const page = await openLesson(`?chapter=${n}&lang=en`);
  // Tab from the top reaches the skip link first, then the header and the table of contents.
  const tabUntil = async (selector, limit = 60) => {
    for (let i = 0; i < limit; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((sel) => document.activeElement?.matches(sel), selector)) return;
    }
    assert.fail(`Tab never reached ${selector}`);
  };
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  const target = n === 7 ? 6 : n + 1;
  await tabUntil(`.toc-link[data-chapter="${target}"]`);
  // The focused link is visibly outlined.
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'none');
  await page.keyboard.press('Enter');
  await lessonReady(page);
  assert.equal(await page.evaluate(() => window.__lessons.number), target);
  assert.equal(await page.getAttribute(`.toc-link[data-chapter="${target}"]`, 'aria-current'), 'page');
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains('lesson-title')), true, 'focus moves to the new chapter');
  assert.match(await page.evaluate(() => location.search), new RegExp(`chapter=${target}`));
  // Alt + ← goes back a chapter; ← / → alone too, outside the text box.
  await page.keyboard.press('Alt+ArrowLeft');
  await lessonReady(page);
  assert.equal(await page.evaluate(() => window.__lessons.number), target - 1);
  await page.keyboard.press('ArrowRight');
  await lessonReady(page);
  assert.equal(await page.evaluate(() => window.__lessons.number), target);
  await page.keyboard.press('ArrowLeft');
  await lessonReady(page);
  assert.equal(await page.evaluate(() => window.__lessons.number), target - 1);
  // In the text box the arrows move the caret, with or without Alt.
  if (await page.isVisible('.lesson-text')) {
    await page.focus('.lesson-text');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Alt+ArrowRight');
    assert.equal(await page.evaluate(() => window.__lessons.number), target - 1);
  }
  // The browser's Back follows the chapters too.
  await page.goBack();
  await lessonReady(page);
  assert.equal(await page.evaluate(() => window.__lessons.number), target);
  await page.goBack();
  await lessonReady(page);
  // The next link, by keyboard.
  await page.focus('#next');
  await page.keyboard.press('Enter');
  await lessonReady(page);
  assert.equal(await page.evaluate(() => window.__lessons.number), target);
  await page.focus('#prev');
  await page.keyboard.press('Enter');
  await lessonReady(page);
  assert.equal(await page.evaluate(() => window.__lessons.number), n);
  if (n === 2) {
    // The live view by keyboard: a head chosen with Enter is shown, and the focus stays on it.
    await page.focus('.qkv-head[data-head="2"]');
    await page.keyboard.press('Enter');
    await lessonReady(page);
    assert.equal(await page.getAttribute('.qkv-head[data-head="2"]', 'aria-pressed'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.head), '2');
    assert.equal(await page.evaluate(() => window.__lessons.number), 2, 'arrows or Enter in the view do not turn the page');
  }
  // Options: Tab reaches them; Space and Enter choose.
  await page.focus('.lesson-title');
  await tabUntil('.lesson-option[data-option="0"]', 200);
  await page.keyboard.press('Space');
  assert.ok(await page.$eval('.lesson-feedback', (f) => f.textContent.length > 0));
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.equal(await page.getAttribute('.lesson-option[data-option="1"]', 'aria-pressed'), 'true');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the link: a bad chapter shows chapter 1 with a note; the sentence survives a reload; the language follows the browser', async () => {
  let page = await openLesson('?chapter=9&lang=en');
  assert.equal(await page.evaluate(() => window.__lessons.number), 1);
  assert.match(await page.textContent('#link-note'), /no chapter “9”/);
  assert.equal(await page.isVisible('#link-note'), true);
  await page.close();

  page = await openLesson('?chapter=2&lang=klingon&embed=maybe');
  assert.match(await page.textContent('#link-note'), /“lang” value “klingon”/);
  assert.match(await page.textContent('#link-note'), /“embed” value “maybe”/);
  assert.equal(await page.isVisible('#toc'), true, 'not embedded: the whole page');
  await page.close();

  if (CHAPTERS.includes(2)) {
    page = await openLesson('?chapter=2&lang=zh');
    await page.fill('.lesson-text', '我 喜欢 吃 苹果');
    await lessonReady(page);
    await page.waitForFunction(() => new URLSearchParams(location.search).get('text') === '我 喜欢 吃 苹果', null, { timeout: 10_000 });
    await page.click('.qkv-model[data-model="default"]');
    await lessonReady(page);
    await page.waitForFunction(() => new URLSearchParams(location.search).get('model') === 'default', null, { timeout: 10_000 });
    await page.reload();
    await lessonReady(page);
    const s = await page.evaluate(() => window.__lessons.state());
    assert.equal(s.text, '我 喜欢 吃 苹果');
    assert.equal(s.focus, '喜欢');
    assert.equal(s.model, 'default');
    assert.equal(await page.inputValue('.lesson-text'), '我 喜欢 吃 苹果');
    // The chapter's link to the playground carries the same sentence.
    const link = new URL(await page.getAttribute('.lesson-open', 'href'));
    assert.equal(link.pathname.endsWith('/index.html'), true);
    assert.equal(link.searchParams.get('text'), '我 喜欢 吃 苹果');
    assert.equal(link.searchParams.get('lang'), 'zh');
    assert.equal(link.searchParams.get('focus'), '喜欢');
    // Switching the language keeps the sentence.
    await page.click('#lang-switch');
    await lessonReady(page);
    assert.equal(await page.evaluate(() => window.__lessons.lang), 'en');
    assert.equal((await page.evaluate(() => window.__lessons.state())).text, '我 喜欢 吃 苹果');
    assert.deepEqual(page.errors, []);
    await page.close();
  }

  // No lang in the link: the browser's language.
  page = await env.context.newPage();
  await page.addInitScript(() => Object.defineProperty(navigator, 'languages', { get: () => ['zh-CN', 'zh'] }));
  await page.goto(`${env.url}lessons.html?chapter=1`);
  await lessonReady(page);
  assert.equal(await page.evaluate(() => window.__lessons.lang), 'zh');
  await page.close();
});

test('the link carries a chapter’s own settings, in their ranges; a bad one is dropped with a note', async () => {
  if (CHAPTERS.includes(6)) {
    let page = await openLesson('?chapter=6&lang=en&temperature=0.3&topK=5&seed=7&topP=9');
    let s = await page.evaluate(() => window.__lessons.state());
    assert.equal(s.temperature, 0.3);
    assert.equal(s.topK, 5);
    assert.equal(s.seed, 7);
    assert.equal(s.topP, 1, 'top-p 9 is out of range: the chapter’s own start');
    assert.match(await page.textContent('#link-note'), /“topP” value “9”/);
    assert.equal(await page.inputValue('.sm-topK'), '5');
    // A setting changed on the page goes into the link, and a reload brings it back.
    await page.fill('.sm-topK', '12');
    await lessonReady(page);
    await page.waitForFunction(() => new URLSearchParams(location.search).get('topK') === '12', null, { timeout: 10_000 });
    await page.reload();
    await lessonReady(page);
    s = await page.evaluate(() => window.__lessons.state());
    assert.equal(s.topK, 12);
    assert.equal(s.temperature, 0.3);
    assert.deepEqual(page.errors, []);
    await page.close();
  }
  if (CHAPTERS.includes(1)) {
    // Heads and layers count from 1 in the link, as on the page.
    const page = await openLesson('?chapter=1&lang=en&layer=1&head=3&reading=own&bogus=1');
    const s = await page.evaluate(() => window.__lessons.state());
    assert.deepEqual([s.layer, s.head, s.reading], [0, 2, 'own']);
    assert.equal(await page.isVisible('#link-note'), false, 'a name no chapter uses is ignored, not a problem');
    await page.close();
  }
});

test('the playground links to the lessons in its language', async () => {
  const page = await h.open(env, '?lang=zh');
  const link = page.locator('#lessons-link');
  assert.equal((await link.textContent()).trim(), '课程');
  assert.match(await link.getAttribute('href'), /lessons\.html\?lang=zh$/);
  await page.click('#lang-switch');
  await page.waitForFunction(() => document.getElementById('lessons-link').search === '?lang=en');
  await page.close();
});

/** The native engine's trace (scalar backend) of `text` on a model, one layer. */
function nativeTrace(model, text, layer) {
  const json = execFileSync('cargo', [
    'run', '--quiet', '--bin', 'attention-playground', '--',
    'trace', '--text', text, '--layer', String(layer), '--backend', 'scalar', '--model', `${h.WWW}/models/${model}`,
  ], { cwd: h.ROOT, maxBuffer: 1 << 28, encoding: 'utf8' });
  return JSON.parse(json);
}

if (CHAPTERS.includes(2)) {
  for (const [model, query] of [['encoder', ''], ['default', '&model=default']]) {
    test(`chapter 2 on the ${model === 'encoder' ? 'encoder' : 'GPT'}: its head and numbers are the native engine’s`, async () => {
      const cli = nativeTrace(model, TEXT, 0);
      const { ids, pieces, offsets } = cli.tokens;
      const count = ids.length;
      const attention = cli.trace.layers[0].attention;
      const nh = attention.weights.shape[0];
      // 喜欢 is the token that ends at its last character; 苹果 the tokens inside its characters.
      const like = TEXT.indexOf('喜欢');
      const apple = TEXT.indexOf('苹果');
      const focus = offsets.findIndex(([, end]) => end === like + 2);
      const appleTokens = offsets.map(([s, e], j) => (s >= apple && e <= apple + 2 ? j : -1)).filter((j) => j >= 0);
      assert.ok(focus >= 0 && appleTokens.length > 0, JSON.stringify(pieces));
      const weight = (h, j) => attention.weights.data[(h * count + focus) * count + j];
      const onApple = Array.from({ length: nh }, (_, h) => appleTokens.reduce((s, j) => s + weight(h, j), 0));

      const page = await openLesson(`?chapter=2&lang=en${query}`);
      const shown = await page.$eval('.lesson-view', (v) => ({ head: Number(v.dataset.head), layer: Number(v.dataset.layer), model: v.dataset.model }));
      assert.equal(shown.layer, 0);
      if (model === 'encoder') {
        const best = onApple.indexOf(Math.max(...onApple));
        assert.equal(shown.head, best, `the page shows head ${shown.head + 1}; 苹果 gets the most weight in head ${best + 1} (${onApple})`);
        assert.match(await page.textContent('.qkv-chosen'), new RegExp(`head ${best + 1}\\. .*${onApple[best].toFixed(3)}`));
      } else {
        // The GPT: 苹果 comes after 喜欢, so it has no weight in any head.
        assert.ok(onApple.every((w) => w === 0), String(onApple));
        assert.equal(await page.isVisible('.qkv-hidden'), true);
      }
      const head = shown.head;
      const row = (tensor) => tensor.data.slice((head * count + focus) * count, (head * count + focus + 1) * count);
      const close = (value, ref) => (ref === null ? value === -Infinity : Math.abs(value - ref) <= 6e-4 + 1e-3 * Math.abs(ref));
      const step2 = '.qkv-step[data-step="2"]';
      for (const [col, field] of [['score', 'scores'], ['scaled', 'scaled'], ['masked', 'masked'], ['weight', 'weights']]) {
        const cells = await page.$$eval(`${step2} td[data-col="${col}"]`, (all) => all.map((c) => c.textContent));
        assert.equal(cells.length, count);
        const ref = row(attention[field]);
        cells.map((c) => (c.startsWith('−∞') ? -Infinity : h.parseShown(c))).forEach((v, j) => assert.ok(close(v, ref[j]), `${col}[${j}]: page ${v}, native ${ref[j]}`));
      }
      // The written-out dot product ends in the engine's score of the watched token it shows.
      const dot = await page.textContent('.qkv-dot');
      const total = h.parseShown(dot.split('=').at(-1));
      assert.ok(appleTokens.some((j) => close(total, row(attention.scores)[j])), `${dot} vs ${row(attention.scores)}`);
      // q has head-size numbers; the dot product writes every product out.
      const hs = attention.q.shape.at(-1) / nh || attention.q.shape.at(-1);
      assert.equal((dot.match(/×/g) || []).length, Math.min(hs, 32));
      assert.deepEqual(page.errors, []);
      await page.close();
    });
  }
}

test('a chapter module that is missing or broken is a clear error with Try again, not a blank', async () => {
  const n = CHAPTERS[0];
  const page = await env.context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  for (const [body, status, why] of [['', 404, /could not be loaded/], ['export default { number: 99 };', 200, /its number is 99/]]) {
    await page.route(/\/lessons\/chapters\/\d-[\w-]+\.js$/, (route) => route.fulfill({ status, body, contentType: 'text/javascript' }));
    await page.goto(`${env.url}lessons.html?chapter=${n}&lang=en&x=${status}`);
    await lessonReady(page);
    const error = await shownError(page);
    assert.match(error ?? '', why);
    assert.match(error, new RegExp(`Chapter ${n} could not be loaded`));
    assert.equal(await page.isVisible('.lesson-error .error-retry'), true);
    assert.equal(await page.isVisible('.lesson-text'), false, 'no sentence box without a chapter behind it');
    // The way on stays open (chapter 1 has no previous, chapter 7 no next).
    assert.equal(await page.isVisible(n === 7 ? '#prev' : '#next'), true);
    await page.unrouteAll();
  }
  // Try again, now that the module is there.
  await page.click('.lesson-error .error-retry');
  await lessonReady(page);
  assert.equal(await shownError(page), null);
  assert.equal(await page.isVisible('.lesson-text'), true);
  assert.deepEqual(page.errors, []);
  await page.close();
});

if (CHAPTERS.includes(2)) {
  test('a worker that dies is replaced: the chapter loads its model again and redraws, with no error', async () => {
    const page = await openLesson('?chapter=2&lang=en');
    await page.$eval('.qkv-head[data-head="0"]', (b) => b.click());
    await lessonReady(page);
    const before = await page.$eval('.qkv-step[data-step="2"]', (s) => s.textContent);
    await page.evaluate(async () => {
      const { connectEngine, engineDebug } = await import('./engine-client.js');
      const client = connectEngine();
      const restarts = engineDebug.stats().restarts;
      await client.call('debugCrash');
      while (engineDebug.stats().restarts === restarts) await new Promise((r) => setTimeout(r, 50));
      client.release();
    });
    // The new worker holds the chapter's model again, without the learner doing anything.
    await page.waitForFunction(async () => {
      const { engineDebug } = await import('./engine-client.js');
      return engineDebug.stats().models.some((url) => url.endsWith('/models/encoder/'));
    }, null, { timeout: 60_000, polling: 100 });
    await lessonReady(page);
    assert.equal(await shownError(page), null);
    assert.equal(await page.$eval('.qkv-step[data-step="2"]', (s) => s.textContent), before);
    assert.equal((await page.evaluate(() => window.__lessons.state())).head, 0, 'the learner’s head is kept');
    // And it answers: another head shows other numbers.
    await page.$eval('.qkv-head[data-head="1"]', (b) => b.click());
    await lessonReady(page);
    assert.notEqual(await page.$eval('.qkv-step[data-step="2"]', (s) => s.textContent), before);
    assert.equal(await shownError(page), null);
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

test('<attention-lesson>: chapters in a page share one engine; a bad attribute says so', async () => {
  const page = await env.context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  let workers = 0;
  page.on('worker', () => { workers++; });
  await page.goto(`${env.url}example-chapters.html`);
  await page.waitForFunction(() => [...document.querySelectorAll('attention-lesson')].every((l) => l.lesson), null, { timeout: 30_000 });
  await page.$$eval('attention-lesson', (all) => Promise.all(all.map((l) => l.settle())));
  const states = await page.$$eval('attention-lesson', (all) => all.map((l) => l.state));
  assert.equal(states[0].text, TEXT);
  assert.equal(states[1].text, 'The cat sat on the mat');
  assert.equal(states[1].focus, 'sat');
  assert.equal(await page.$eval('#qkv-zh', (l) => l.shadowRoot.querySelector('.lesson-title').textContent), 'Q、K 和 V');
  assert.equal(workers, 1);
  // Attributes change the state; the learner's changes are announced.
  await page.$eval('#qkv-en', (l) => l.setAttribute('text', 'I like green apples'));
  await page.$eval('#qkv-en', (l) => l.settle());
  assert.equal(await page.$eval('#qkv-en', (l) => l.shadowRoot.querySelector('.lesson-text').value), 'I like green apples');
  const announced = page.$eval('#qkv-zh', (l) => new Promise((resolve) => l.addEventListener('statechange', (e) => resolve(e.detail), { once: true })));
  await page.$eval('#qkv-zh', (l) => l.shadowRoot.querySelector('.lesson-try[data-try="1"]').click());
  assert.equal((await announced).model, 'default');
  for (const [attributes, message] of [['chapter="9"', /chapter="9" is not a chapter/], ['chapter="2" lang="fr"', /lang="fr"/], ['chapter="2" model="gpt5"', /“model” value “gpt5”/]]) {
    const text = await page.evaluate(async (attrs) => {
      const box = document.createElement('div');
      box.innerHTML = `<attention-lesson ${attrs}></attention-lesson>`;
      document.body.prepend(box);
      const lesson = box.firstChild;
      let shown = null;
      for (let i = 0; i < 100 && !shown; i++) {
        await new Promise((r) => setTimeout(r, 50));
        shown = lesson.shadowRoot.querySelector('[role="alert"]')?.textContent;
      }
      box.remove();
      return shown;
    }, attributes);
    assert.match(text ?? '', message, attributes);
  }
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the built site carries the lessons and runs them under a strict Content-Security-Policy', async () => {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-lessons-dist-'));
  const csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";
  buildSite(h.WWW, dist);
  const site = await h.start({ root: dist, base: '/course/', headers: { 'content-security-policy': csp } });
  try {
    for (const file of ['lessons.html', 'lessons/shell.js', 'lessons/page.js', 'lessons/lessons.css', 'lessons/chapters/2-qkv.js', 'attention-lesson.js', 'example-chapters.html']) {
      assert.ok(fs.existsSync(path.join(dist, file)), `${file} is in the site`);
      assert.ok(fs.readFileSync(path.join(dist, 'sw.js'), 'utf8').includes(`"${file}"`), `${file} is precached for offline use`);
    }
    const page = await site.context.newPage();
    const violations = [];
    page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e.message));
    await page.goto(`${site.url}lessons.html?chapter=${CHAPTERS[0]}&lang=zh`);
    await lessonReady(page);
    assert.equal(await shownError(page), null);
    assert.deepEqual(violations, []);
    assert.deepEqual(page.errors, []);
    await page.close();
  } finally {
    await site.stop();
    fs.rmSync(dist, { recursive: true, force: true });
  }
});
