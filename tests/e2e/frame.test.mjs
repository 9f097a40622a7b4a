// Every keystroke in one frame (issue 15): the engine reuses what an edit leaves unchanged, with
// the very numbers a full pass gives; each view redraws only what changed, at most once a frame,
// updating its elements rather than rebuilding them, so keyboard focus and scroll survive an update.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';

let env;
before(async () => { env = await h.start(); });
after(async () => { await env?.stop(); });

/** Count 2-D canvas drawing per canvas (by id, else "strip" or "thumb"), and per animation frame. */
const watchCanvases = (page) => page.evaluate(() => {
  const draws = { byCanvas: {}, perFrame: [] };
  let frame = 0;
  const tick = () => { frame++; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const proto = CanvasRenderingContext2D.prototype;
  const counted = new WeakMap(); // canvas → frame it last started a drawing in
  for (const method of ['fillRect', 'drawImage', 'putImageData', 'fillText']) {
    const original = proto[method];
    proto[method] = function (...args) {
      const name = this.canvas.id || (this.canvas.classList.contains('strip') ? 'strip' : 'thumb');
      if (counted.get(this.canvas) !== frame) {
        counted.set(this.canvas, frame);
        draws.byCanvas[name] = (draws.byCanvas[name] || 0) + 1;
        if (this.canvas.id === 'heatmap') draws.perFrame.push(frame);
      }
      return original.apply(this, args);
    };
  }
  window.__draws = draws;
});
const draws = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.__draws)));
const resetDraws = (page) => page.evaluate(() => { window.__draws.byCanvas = {}; window.__draws.perFrame = []; });

test('a temperature change redraws only the bars: no attention picture, the same bar elements', async () => {
  const page = await h.open(env);
  await h.type(page, 'Tom likes apples and Mary likes');
  await watchCanvases(page);
  const before = await page.evaluate(() => {
    window.__kept = {
      weights: window.__playground.store.get().weights,
      bars: [...document.querySelectorAll('#bars li')],
      thumbs: [...document.querySelectorAll('#grid canvas')],
    };
    return [...document.querySelectorAll('#bars .bar-value')].map((n) => n.textContent);
  });
  await page.evaluate(() => window.__playground.actions.set({ temperature: 0.4 }));
  await h.settle(page);
  assert.deepEqual((await draws(page)).byCanvas, {}, 'no canvas was drawn');
  const kept = await page.evaluate(() => ({
    weights: window.__playground.store.get().weights === window.__kept.weights,
    bars: [...document.querySelectorAll('#bars li')].every((n, i) => n === window.__kept.bars[i]),
    thumbs: [...document.querySelectorAll('#grid canvas')].every((n, i) => n === window.__kept.thumbs[i]),
    values: [...document.querySelectorAll('#bars .bar-value')].map((n) => n.textContent),
  }));
  assert.ok(kept.weights, 'the attention weights were not sent again');
  assert.ok(kept.bars && kept.thumbs, 'bars and thumbnails are the same elements, updated');
  assert.notDeepEqual(kept.values, before, 'the bars show the new probabilities');

  // A new text redraws the pictures, each once.
  await resetDraws(page);
  await page.type('#text-input', ' b');
  await h.settle(page);
  const seen = await draws(page);
  assert.ok(seen.byCanvas.heatmap >= 1 && seen.byCanvas.thumb >= 1, JSON.stringify(seen.byCanvas));
  assert.equal(new Set(seen.perFrame).size, seen.perFrame.length, 'the heatmap drew at most once per frame');
  assert.deepEqual(page.errors, []);
});

test('fast typing draws the heatmap at most once per frame', async () => {
  const page = await h.open(env);
  await h.type(page, 'Tom likes');
  await watchCanvases(page);
  await page.type('#text-input', ' apples and pears', { delay: 5 });
  await h.settle(page);
  const { perFrame } = await draws(page);
  assert.ok(perFrame.length >= 1);
  assert.equal(new Set(perFrame).size, perFrame.length, `frames with two heatmap draws: ${perFrame}`);
});

test('keyboard focus survives an update: a thumbnail chosen with the keyboard stays focused', async () => {
  const page = await h.open(env);
  await page.focus('#grid button[aria-label*="2"]'); // layer 2 or head 2: not the selected one
  const label = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
  await page.keyboard.press('Enter');
  await h.settle(page);
  const after = await page.evaluate(() => ({
    label: document.activeElement?.getAttribute('aria-label'),
    pressed: document.activeElement?.getAttribute('aria-pressed'),
    view: [window.__playground.store.get().steps.layer, window.__playground.store.get().steps.head],
  }));
  assert.equal(after.label, label, 'the same button keeps the focus');
  assert.equal(after.pressed, 'true', 'and is now the selected head');
  assert.notDeepEqual(after.view, [0, 0]);

  // Typing keeps the caret in the text box while every view updates.
  await page.focus('#text-input');
  await page.type('#text-input', ' x');
  await h.settle(page);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'text-input');
});

test('the reused pass gives the very numbers of a full pass', async () => {
  const page = await h.open(env);
  await h.type(page, '小明 喜欢 苹果');
  await page.type('#text-input', ' 和 香蕉');
  await h.settle(page);
  const view = { layer: 1, head: 1, focus: 2 };
  const reused = await page.evaluate((v) => window.__playground.call('debugHeadSteps', v), view);
  const reusedNext = (await h.state(page)).next;
  // A backend change drops the cached pass: the next one starts from nothing.
  await page.evaluate(() => window.__playground.setBackend(window.__playground.store.get().backend));
  await h.settle(page);
  const full = await page.evaluate((v) => window.__playground.call('debugHeadSteps', v), view);
  assert.deepEqual(reused, full);
  assert.deepEqual(reusedNext, (await h.state(page)).next);
});

test('the step table is updated, not rebuilt: a focused key button, the table’s scroll and the page’s scroll survive updates', async () => {
  const page = await h.open(env, `?text=${encodeURIComponent('Tom likes apples and Mary likes pears and')}&step=5`, { width: 390, height: 800 });
  const table = '#step-view .table-scroll';
  // The learner picks a key with the keyboard and scrolls the wide table sideways.
  await page.focus('#step-view tbody tr:nth-child(2) .key-button');
  const scrolled = await page.$eval(table, (n) => { n.scrollLeft = 40; return [n.scrollLeft, n.scrollWidth - n.clientWidth]; });
  assert.equal(scrolled[0], 40, `the table scrolls (by up to ${scrolled[1]} px)`);
  await page.evaluate(() => { window.__kept = { button: document.activeElement, row: document.querySelector('#step-view tbody tr') }; });
  // Another head: every number in the table changes.
  await page.evaluate(() => window.__playground.actions.set({ head: 1 }));
  await h.settle(page);
  const after = await page.evaluate((sel) => ({
    focusKept: document.activeElement === window.__kept.button,
    rowKept: document.querySelector('#step-view tbody tr') === window.__kept.row,
    scrollLeft: document.querySelector(sel).scrollLeft,
    head: window.__playground.store.get().steps.head,
  }), table);
  assert.deepEqual(after, { focusKept: true, rowKept: true, scrollLeft: 40, head: 1 });

  // Scrolled down to the mask section, an update made elsewhere (a longer text: every card
  // above grows) leaves the section where the learner was reading it.
  await page.$eval('#mask', (n) => n.scrollIntoView());
  await h.settle(page);
  const top = () => page.$eval('#mask', (n) => Math.round(n.getBoundingClientRect().top));
  const seen = await top();
  await page.evaluate(() => window.__playground.actions.set({ text: 'Tom likes apples and Mary likes pears and the cat sat on the mat' }));
  await h.settle(page);
  assert.equal(await top(), seen);
  assert.deepEqual(page.errors, []);
});

test('a keystroke’s frame redraws the views in sight; a view out of sight follows in the next frame', async () => {
  const page = await h.open(env, '', { width: 1280, height: 800 });
  await h.type(page, 'Tom likes apples and Mary');
  // The animation frames (their timestamps) after the engine's answer reached the store, and in
  // which the heatmap drew.
  const frames = (edit) => page.evaluate(async (text) => {
    const seen = {};
    const frame = () => document.timeline.currentTime;
    // Every change of the store asks for the next frame; the last change is the engine's answer.
    const unsubscribe = window.__playground.store.subscribe(() => requestAnimationFrame(() => { seen.answered = frame(); }));
    const proto = CanvasRenderingContext2D.prototype;
    const original = proto.drawImage;
    proto.drawImage = function (...args) {
      if (this.canvas.id === 'heatmap') seen.heatmap ??= frame();
      return original.apply(this, args);
    };
    window.__playground.actions.set({ text });
    await window.__playground.settle();
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    unsubscribe();
    proto.drawImage = original;
    return seen;
  }, edit);

  // Typing at the top: the attention pictures (out of sight below) wait a frame.
  const typing = await frames('Tom likes apples and Mary likes');
  assert.ok(typing.answered && typing.heatmap, JSON.stringify(typing));
  assert.ok(typing.heatmap > typing.answered, `the heatmap drew after the answer's frame: ${JSON.stringify(typing)}`);

  // Looking at the pictures: they redraw in the answer's frame.
  await page.$eval('#maps', (n) => n.scrollIntoView());
  await h.settle(page);
  const looking = await frames('Tom likes apples and Mary likes pears');
  assert.equal(looking.heatmap, looking.answered, JSON.stringify(looking));
  assert.deepEqual(page.errors, []);
});
