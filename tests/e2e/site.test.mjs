// The static site (scripts/build-site.sh → dist/) as a lesson author hosts it: built here into a
// temporary folder, served from a sub-path with a strict Content-Security-Policy, in Chromium.
// Both example pages work, widgets are independent and driven by their attributes, a page makes
// exactly one worker and one wasm fetch however many widgets it has, no request leaves the
// origin, no CSP violation is reported, a reload with the network gone still works, and the
// iframe embed still works.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as h from './harness.mjs';
import { buildSite, FIRST_LOAD_LIMIT } from '../../scripts/build-site.mjs';

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";
const BASE = '/courses/ai/attention/';
let env;
let dist;
let report;
const seen = { requests: [], workers: 0 };

before(async () => {
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-dist-'));
  report = buildSite(h.WWW, dist);
  env = await h.start({ root: dist, base: BASE, headers: { 'content-security-policy': CSP } });
  // The service worker's own fetches (filling its cache) are told apart from the pages' and workers'.
  env.context.on('request', (r) => seen.requests.push({ url: r.url(), byServiceWorker: Boolean(r.serviceWorker()) }));
  // Every frame reports what the policy blocked; workers report theirs on the console.
  await env.context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.top.postMessage({ csp: `${e.violatedDirective} ${e.blockedURI}` }, '*');
      (window.__violations ||= []).push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
});
after(async () => {
  await env?.stop();
  if (dist) fs.rmSync(dist, { recursive: true, force: true });
});

async function openPage(file) {
  const page = await env.context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('worker', () => { seen.workers++; });
  page.violations = [];
  page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) page.violations.push(m.text()); });
  await page.goto(`${env.url}${file}`);
  return page;
}

const widgets = (page) => page.$$eval('attention-playground', (all) => all.map((w) => w.id || w.getAttribute('view')));
/** Wait until every widget near the viewport has drawn the engine's answer. */
async function widgetsReady(page, selector = 'attention-playground') {
  await page.waitForFunction((sel) => [...document.querySelectorAll(sel)].every((w) => {
    const s = w.playground?.store.get();
    return s && (s.error || (!s.loading && s.tokens));
  }), selector, { timeout: 120_000, polling: 100 });
  await page.$$eval(selector, (all) => Promise.all(all.map((w) => w.settle())));
  const errors = await page.$$eval(selector, (all) => all.map((w) => w.playground.store.get().error).filter(Boolean));
  assert.deepEqual(errors, []);
}
const widgetState = (page, selector) => page.$eval(selector, (w) => {
  const s = w.playground.store.get();
  return { ...w.state, focusIndex: s.steps?.focus, tokens: s.tokens?.display, views: w.shadowRoot.querySelector('.playground').dataset.view };
});
const violations = async (page) => [...page.violations, ...(await page.evaluate(() => window.__violations || []))];

test('the build reports the size of every file, and the first load fits its budget', () => {
  const files = fs.readdirSync(dist, { recursive: true }).filter((f) => fs.statSync(path.join(dist, f)).isFile())
    .map((f) => f.split(path.sep).join('/')).filter((f) => f !== 'size-report.json').sort();
  assert.deepEqual(report.files.map((s) => s.file).sort(), files);
  for (const s of report.files) assert.ok(s.raw > 0 && s.gzip > 0, s.file);
  const first = report.firstLoad;
  for (const f of ['index.html', 'main.js', 'worker.js', 'pkg/attention_playground_bg.wasm', 'models/default/model.safetensors']) {
    assert.ok(first.files.includes(f), `${f} is part of the first load`);
  }
  assert.ok(!first.files.some((f) => f.startsWith('example')), 'example pages are not loaded by the playground');
  assert.equal(first.limit, FIRST_LOAD_LIMIT);
  assert.ok(first.gzip <= FIRST_LOAD_LIMIT, `first load ${first.gzip} bytes gzipped`);
  console.log(`# first load: ${first.files.length} files, ${first.raw} bytes raw, ${first.gzip} bytes gzipped (budget ${FIRST_LOAD_LIMIT})`);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dist, 'size-report.json'), 'utf8')), report);
  assert.match(fs.readFileSync(path.join(dist, 'offline.js'), 'utf8'), /const BUILT = true;/);
  assert.match(fs.readFileSync(path.join(dist, 'sw.js'), 'utf8'), new RegExp(`const VERSION = '${report.version}';`));
});

test('the build refuses a page that a strict CSP would break', () => {
  const www = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-www-'));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-out-'));
  try {
    for (const [page, why] of [
      ['<script type="module">import "./app.js";</script>', /an inline <script>/],
      ['<p style="color: red">hi</p>', /a style="…" attribute/],
      ['<style>p { color: red }</style>', /a <style> element/],
      ['<button onclick="go()">go</button>', /an inline event handler/],
      ['<link rel="icon" href="data:image/svg+xml,%3Csvg%3E">', /a URL that is not relative/],
    ]) {
      fs.writeFileSync(path.join(www, 'index.html'), `<!doctype html><html><head></head><body>${page}</body></html>`);
      assert.throws(() => buildSite(www, out), (e) => /^index\.html: /.test(e.message) && why.test(e.message), page);
    }
  } finally {
    fs.rmSync(www, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('the playground runs from a sub-path under a strict CSP', async () => {
  const page = await openPage(`index.html?lang=en&text=${encodeURIComponent('小明 喜欢 苹果')}&focus=${encodeURIComponent('喜欢')}`);
  await h.ready(page);
  const s = await h.state(page);
  assert.equal(s.tokens.display[s.steps.focus].trim(), '喜欢', 'focus=喜欢 lands on 喜欢');
  assert.ok(s.next.rows.length === 10);
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(page.errors, []);
  // The watch works: an inline style is what the policy blocks, and it is reported.
  await page.evaluate(() => document.body.setAttribute('style', 'color: red'));
  await page.waitForFunction(() => (window.__violations || []).length > 0);
  assert.match((await violations(page)).join(), /style-src/);
  await page.close();
});

test('the lesson: two widgets of one sentence, independent, one worker and one wasm fetch', async () => {
  const before = { requests: seen.requests.length, workers: seen.workers };
  const page = await openPage('example-lesson.html');
  assert.deepEqual(await widgets(page), ['steps-widget', 'maps-widget']);
  await widgetsReady(page);
  let steps = await widgetState(page, '#steps-widget');
  let maps = await widgetState(page, '#maps-widget');
  assert.equal(steps.views, 'steps');
  assert.equal(maps.views, 'maps');
  assert.equal(steps.tokens[steps.focusIndex].trim(), '喜欢');
  // A widget's state is in its attributes' terms: steps, layers and heads count from 1.
  assert.equal(steps.step, 5);
  assert.equal(maps.step, 1);
  // Each shadow root holds only its own view's sections (and the sentence).
  assert.ok(await page.$('#steps-widget #step-view'));
  assert.equal(await page.$('#steps-widget #heatmap'), null);
  assert.ok(await page.$('#maps-widget #heatmap'));

  // The learner steps on in the first figure: the second keeps its state; the prose hears of it.
  await page.click('#steps-widget #step-next');
  await page.selectOption('#steps-widget #head', { value: '2' });
  await widgetsReady(page);
  steps = await widgetState(page, '#steps-widget');
  maps = await widgetState(page, '#maps-widget');
  assert.equal(steps.step, 6);
  assert.equal(steps.head, 3);
  assert.equal(maps.head, 1);
  assert.equal(maps.step, 1);
  assert.equal(await page.textContent('#steps-report'), '(You are on step 6, layer 1, head 3.)');
  // The keyboard works inside the shadow root: ← steps back.
  await page.focus('#steps-widget #step-prev');
  await page.keyboard.press('ArrowLeft');
  await widgetsReady(page);
  assert.equal((await widgetState(page, '#steps-widget')).step, 5);
  // Typing in one widget changes only that one.
  await page.fill('#maps-widget #text-input', 'I want to');
  await widgetsReady(page);
  assert.equal((await widgetState(page, '#maps-widget')).text, 'I want to');
  assert.equal((await widgetState(page, '#steps-widget')).text, '小明 喜欢 苹果');

  const requests = seen.requests.slice(before.requests).filter((r) => !r.byServiceWorker).map((r) => r.url);
  assert.equal(seen.workers - before.workers, 1, 'one worker for both widgets');
  assert.equal(requests.filter((u) => u.endsWith('.wasm')).length, 1, 'one wasm fetch');
  assert.equal(requests.filter((u) => u.endsWith('/model.safetensors')).length, 1, 'one copy of the model');
  assert.equal(requests.filter((u) => u.endsWith('/index.html')).length, 1, 'the markup is fetched once');
  // What the lesson's first load weighs, by the build's own figures for the files it fetched.
  const fetched = [...new Set(requests.map((u) => new URL(u).pathname.slice(BASE.length)))];
  const sizes = new Map(report.files.map((f) => [f.file, f]));
  const gzip = fetched.reduce((n, f) => n + (sizes.get(f)?.gzip ?? 0), 0);
  console.log(`# the lesson page with two widgets loads ${fetched.length} files, ${gzip} bytes gzipped`);
  assert.ok(gzip <= FIRST_LOAD_LIMIT, `${gzip} bytes`);
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(page.errors, []);
  await h.screenshot(page, 'example-lesson');
  // A new colour scheme redraws the figures in its colours, as the learner left them.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForFunction(() => document.querySelector('#steps-widget').shadowRoot.querySelector('.playground').hidden === false
    && getComputedStyle(document.querySelector('#steps-widget')).backgroundColor === 'rgb(23, 24, 27)');
  await widgetsReady(page);
  assert.deepEqual(await page.$eval('#steps-widget', (w) => [w.state.step, w.state.head]), [5, 3]);
  await h.screenshot(page, 'example-lesson-dark');
  await page.close();
});

test('attributes drive a widget; a far-off widget waits; a removed widget lets go', async () => {
  const page = await openPage('example-minimal.html');
  await widgetsReady(page);
  const w = 'attention-playground';
  assert.equal((await widgetState(page, w)).views, 'next');
  await h.screenshot(page, 'example-minimal');
  await page.$eval(w, (el) => {
    el.setAttribute('text', '小明 喜欢 苹果');
    el.setAttribute('focus', '喜欢');
    el.setAttribute('view', 'steps mask');
    el.setAttribute('step', '2');
    el.setAttribute('layer', '1');
    el.setAttribute('mask', 'bidirectional');
    el.setAttribute('lang', 'zh');
    el.setAttribute('temperature', '0.5');
  });
  await widgetsReady(page);
  let s = await widgetState(page, w);
  assert.equal(s.views, 'steps mask');
  assert.equal(s.tokens[s.focusIndex].trim(), '喜欢');
  assert.deepEqual([s.step, s.layer, s.mask, s.lang, s.temperature], [2, 1, 'bidirectional', 'zh', 0.5]);
  assert.match(await page.textContent(`${w} #steps-title`), /[\u4e00-\u9fff]/, 'the labels are in Chinese');
  assert.equal(await page.$eval(`${w} .playground`, (n) => n.lang), 'zh-CN');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en', 'the host page keeps its own language');
  // Themed from the host page; calm when the reader asks for reduced motion.
  await page.$eval(w, (el) => { el.style.setProperty('--accent', 'rgb(138, 43, 226)'); el.style.fontSize = '13px'; });
  const look = () => page.$eval(w, (el) => {
    const current = getComputedStyle(el.shadowRoot.querySelector('#step-list button.current'));
    const bar = getComputedStyle(el.shadowRoot.querySelector('.progress-bar'));
    return { accent: current.backgroundColor, size: getComputedStyle(el.shadowRoot.querySelector('.card')).fontSize, transition: bar.transitionDuration };
  });
  assert.deepEqual(await look(), { accent: 'rgb(138, 43, 226)', size: '13px', transition: '0.2s' });
  await page.emulateMedia({ reducedMotion: 'reduce' });
  assert.equal((await look()).transition, '0s');
  await page.emulateMedia({ reducedMotion: 'no-preference' });
  await page.$eval(w, (el) => { el.style.removeProperty('--accent'); el.style.removeProperty('font-size'); });

  // Out of range or unusable values are dropped: the default stands.
  await page.$eval(w, (el) => { el.setAttribute('layer', 'lots'); el.removeAttribute('mask'); });
  await widgetsReady(page);
  s = await widgetState(page, w);
  assert.deepEqual([s.layer, s.mask], [1, 'causal']);

  // The backend and the model are attributes too; a model that is not there is said, in Chinese.
  await page.$eval(w, (el) => el.setAttribute('backend', 'scalar'));
  await widgetsReady(page);
  assert.equal(await page.$eval(w, (el) => el.playground.store.get().status.kind), 'scalar');
  // The element's own module instance (same URL), so the page's one shared engine.
  await page.evaluate(async () => { window.engineDebug = (await import(new URL('engine-client.js', document.baseURI))).engineDebug; });
  const engine = () => page.evaluate(() => window.engineDebug.stats());
  const defaultModel = new URL('models/default/', env.url).href;
  assert.deepEqual((await engine()).models, [defaultModel]);
  await page.$eval(w, (el) => el.setAttribute('model', 'no-such-model'));
  await page.waitForFunction((sel) => document.querySelector(sel).playground.store.get().error, w);
  assert.match(await page.textContent(`${w} #error .error-text`), /模型加载失败：.*no-such-model.*404/);
  // The default model, which no widget shows now, is freed after a moment.
  await page.waitForFunction(() => window.engineDebug.stats().models.length === 0, null, { timeout: 15_000 });
  await page.$eval(w, (el) => { el.removeAttribute('model'); el.removeAttribute('backend'); });
  await widgetsReady(page);
  assert.equal(await page.$eval(w, (el) => el.playground.store.get().status.kind), 'simd');
  assert.equal(await page.isVisible(`${w} #error`), false);

  // A widget two screens below does nothing until it is scrolled near.
  await page.evaluate(() => {
    const spacer = document.createElement('div');
    spacer.className = 'spacer';
    spacer.style.height = '4000px';
    const far = document.createElement('attention-playground');
    far.id = 'far';
    far.setAttribute('text', 'far away');
    document.body.append(spacer, far);
  });
  await page.waitForFunction(() => document.querySelector('#far').playground);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await page.$eval('#far', (el) => el.playground.store.get().tokens), null, 'no work while far away');
  assert.equal((await engine()).clients, 2);
  await page.$eval('#far', (el) => el.scrollIntoView());
  await widgetsReady(page, '#far');
  assert.equal((await widgetState(page, '#far')).text, 'far away');

  await page.$eval('#far', (el) => el.remove());
  await page.waitForFunction(() => window.engineDebug.stats().clients === 1);
  await page.$eval(w, (el) => el.remove());
  assert.equal((await engine()).running, true, 'kept a moment, in case the widget is only moved');
  await page.waitForFunction(() => !window.engineDebug.stats().running, null, { timeout: 15_000 });
  assert.deepEqual(await engine(), { workers: 1, restarts: 0, clients: 0, models: [], running: false });
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the iframe embed still works, and data-focus takes a word', async () => {
  const page = await openPage('embed-example.html');
  const frame = await (await page.waitForSelector('iframe')).contentFrame();
  await frame.waitForFunction(() => window.__playground && !window.__playground.store.get().loading && window.__playground.store.get().steps, null, { timeout: 120_000 });
  await frame.evaluate(() => window.__playground.settle());
  const s = await frame.evaluate(() => {
    const { steps, tokens, step, embed } = window.__playground.store.get();
    return { focus: tokens.display[steps.focus], step, embed };
  });
  assert.deepEqual(s, { focus: ' 喜欢', step: 4, embed: true });
  await page.waitForFunction(() => document.querySelector('iframe').getBoundingClientRect().height !== 720);
  await h.screenshot(page, 'example-iframe');
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a new build is picked up: a new cache replaces the old one', async () => {
  const page = await openPage('example-lesson.html');
  await widgetsReady(page);
  const caches = () => page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    return (await caches.keys()).map((name) => name.split(' ').at(-1));
  });
  await page.waitForFunction(() => navigator.serviceWorker.controller);
  assert.deepEqual(await caches(), [report.version]);

  // The author changes one file and builds again into the same folder.
  const edited = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-www-'));
  try {
    fs.cpSync(h.WWW, edited, { recursive: true });
    const lesson = path.join(edited, 'example-lesson.js');
    fs.writeFileSync(lesson, fs.readFileSync(lesson, 'utf8').replace('(You are on step', '(Now on step'));
    const previous = report.version;
    report = buildSite(edited, dist);
    assert.notEqual(report.version, previous);
  } finally {
    fs.rmSync(edited, { recursive: true, force: true });
  }
  // The next visit finds the new sw.js, which fills a new cache, drops the old and takes over.
  await page.reload();
  const took = await page.evaluate(async (version) => {
    for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
      const names = await caches.keys();
      if (names.length === 1 && names[0].endsWith(version)) return names;
    }
    return caches.keys();
  }, report.version);
  assert.equal(took.length, 1);
  assert.ok(took[0].endsWith(report.version), took[0]);
  await page.reload();
  await widgetsReady(page);
  await page.click('#steps-widget #step-next');
  await page.waitForFunction(() => document.querySelector('#steps-report').textContent.startsWith('(Now on step'));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('after one visit the site works offline, and no request ever left the origin', async () => {
  const page = await openPage('example-lesson.html');
  await widgetsReady(page);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    }
  });
  // The network is gone: the browser is offline and the server closed.
  await new Promise((r) => { env.server.close(r); env.server.closeAllConnections(); });
  await env.context.setOffline(true);
  try {
    await page.reload();
    await widgetsReady(page);
    const steps = await widgetState(page, '#steps-widget');
    assert.equal(steps.tokens[steps.focusIndex].trim(), '喜欢');
    const offline = await openPage(`index.html?text=${encodeURIComponent('I want to')}`);
    await h.ready(offline);
    assert.ok((await h.state(offline)).next.rows.length === 10);
    await offline.close();
  } finally {
    await env.context.setOffline(false);
  }
  const origin = new URL(env.url).origin;
  const elsewhere = seen.requests.map((r) => r.url).filter((u) => !u.startsWith(`${origin}${BASE}`));
  assert.deepEqual(elsewhere, []);
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(page.errors, []);
  await page.close();
});
