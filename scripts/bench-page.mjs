// The page half of scripts/bench.sh: in headless Chromium, for each backend (scalar wasm, SIMD
// wasm, WebGPU on whatever adapter Chromium has), the time from a keystroke to the bars updated
// in the frame that paints them (median and p95 over 100 edits at the end of a text of 63–64
// tokens, the default model's whole context), and the time from navigation to the first
// probabilities (cold, then warm HTTP cache). Wall-clock milliseconds measured inside the page.
//
// node scripts/bench-page.mjs OUT.json [BACKEND…]   (default: scalar simd gpu)

import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as h from '../tests/e2e/harness.mjs';

const EDITS = 100;
const TEXT = 'Tom likes apples and Mary likes pears. The cat sat on the mat and the dog sat on the rug. '
  + 'We went to the market to buy bread, milk and eggs, and then we walked home in the rain.';

/** Record, inside the page, when the store first holds next-token probabilities. */
const FIRST_PROBABILITIES = () => {
  const poll = () => {
    const p = window.__playground;
    if (p && p.store.get().next) window.__firstProbabilities = performance.now();
    else requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
};

async function navigation(env, query) {
  const page = await env.context.newPage();
  await page.addInitScript(FIRST_PROBABILITIES);
  await page.goto(`${env.url}${query}`);
  await page.waitForFunction(() => window.__firstProbabilities, null, { timeout: 120_000 });
  const ms = await page.evaluate(() => window.__firstProbabilities);
  return { page, ms };
}

/** The longest start of TEXT (whole words) the model reads in at most `max` tokens. */
export async function textOf(page, max) {
  let words = TEXT.split(' ');
  for (;;) {
    const text = words.join(' ');
    await page.evaluate((t) => window.__playground.actions.set({ text: t }), text);
    await h.settle(page);
    const total = await page.evaluate(() => window.__playground.store.get().tokens.total);
    if (total <= max) return { text, total };
    words = words.slice(0, -1);
  }
}

/** Type and delete one character at the end, EDITS times; ms from the input event to the bars updated. */
export const keystrokes = (page, edits) => page.evaluate(async (n) => {
  const input = document.querySelector('#text-input');
  const bars = document.querySelector('#bars');
  const times = [];
  for (let i = 0; i < n; i++) {
    const updated = new Promise((resolve) => {
      const observer = new MutationObserver(() => { observer.disconnect(); resolve(performance.now()); });
      observer.observe(bars, { subtree: true, childList: true, characterData: true, attributes: true });
      setTimeout(() => { observer.disconnect(); resolve(null); }, 5000);
    });
    const start = performance.now();
    input.value = i % 2 === 0 ? `${input.value}s` : input.value.slice(0, -1);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    const end = await updated;
    if (end !== null) times.push(end - start);
    await window.__playground.settle();
    await new Promise((r) => setTimeout(r, 20));
  }
  return times;
}, edits);

export const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function measure(env, backend) {
  const query = `?backend=${backend}`;
  const cold = await navigation(env, query);
  await cold.page.close();
  const warm = await navigation(env, query);
  const page = warm.page;
  await h.ready(page);
  const status = await page.evaluate(() => window.__playground.store.get().status);
  const { total } = await textOf(page, 63);
  const times = await keystrokes(page, EDITS);
  const worker = await page.evaluate(() => window.__playground.store.get().ms);
  await page.close();
  return {
    backend, ran_on: status.kind, adapter: status.adapter, tokens: `${total}–${total + 1}`, edits: times.length,
    keystroke_median_ms: quantile(times, 0.5), keystroke_p95_ms: quantile(times, 0.95),
    last_worker_update_ms: worker, first_probabilities_cold_ms: cold.ms, first_probabilities_warm_ms: warm.ms,
  };
}

/** Run as a script (not imported by scripts/profile-keystroke.mjs). */
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = process.argv[2] || 'bench-page.json';
  const wanted = process.argv.length > 3 ? process.argv.slice(3) : ['scalar', 'simd', 'gpu'];
  const results = [];
  let env = await h.start();
  const chromium = await env.context.browser()?.version?.() ?? null;
  for (const backend of wanted.filter((b) => b !== 'gpu')) results.push(await measure(env, backend));
  await env.stop();
  if (wanted.includes('gpu')) {
    env = await h.start({ webgpu: true });
    try {
      results.push(await measure(env, 'gpu'));
    } catch (e) {
      results.push({ backend: 'gpu', error: String(e.message || e) });
    }
    await env.stop();
  }

  console.log('backend  ran on   tokens  keystroke→bars median / p95   first probabilities cold / warm');
  for (const r of results) {
    if (r.error) { console.log(`${r.backend.padEnd(8)} ${r.error}`); continue; }
    console.log(`${r.backend.padEnd(8)} ${r.ran_on.padEnd(8)} ${r.tokens.padEnd(7)} ${r.keystroke_median_ms.toFixed(1).padStart(8)} / ${r.keystroke_p95_ms.toFixed(1)} ms`
      + `            ${r.first_probabilities_cold_ms.toFixed(0)} / ${r.first_probabilities_warm_ms.toFixed(0)} ms${r.adapter ? `  (${r.adapter})` : ''}`);
  }
  fs.writeFileSync(out, JSON.stringify({ clock: 'wall, inside the page', chromium, edits: EDITS, results }, null, 2));
}
