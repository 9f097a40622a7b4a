// The page half of scripts/bench.sh: in headless Chromium, for each backend (scalar wasm, SIMD
// wasm, WebGPU on whatever adapter Chromium has), the time from a keystroke to the bars updated
// (median and p95 over 100 edits at the end of a text of 60–64 tokens, the default model's whole
// context), both to the view's write in the animation frame that shows it and to the end of that
// frame's main-thread rendering; and the time from navigation to the first probabilities (cold,
// then warm HTTP cache). Wall-clock milliseconds measured inside the page.
//
// node scripts/bench-page.mjs OUT.json [BACKEND…]   (default: scalar simd gpu)
// node scripts/bench-page.mjs OUT.json --against REV [--rounds N]   (this page vs commit REV's, SIMD)

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

/**
 * Type and delete one character at the end, `edits` times. For each edit, ms from the input event
 * to the bars updated (the view's write, inside the animation frame that shows it: `bars`), and
 * to the end of that frame's main-thread rendering, i.e. its style, layout and paint too
 * (`rendered`: a message posted from the frame runs once the frame is done).
 */
export const keystrokes = (page, edits) => page.evaluate(async (n) => {
  const input = document.querySelector('#text-input');
  const bars = document.querySelector('#bars');
  const times = { bars: [], rendered: [] };
  for (let i = 0; i < n; i++) {
    const updated = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        observer.disconnect();
        const written = performance.now();
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve([written, performance.now()]);
        channel.port2.postMessage(null);
      });
      observer.observe(bars, { subtree: true, childList: true, characterData: true, attributes: true });
      setTimeout(() => { observer.disconnect(); resolve(null); }, 5000);
    });
    const start = performance.now();
    input.value = i % 2 === 0 ? `${input.value}s` : input.value.slice(0, -1);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    const end = await updated;
    if (end !== null) {
      times.bars.push(end[0] - start);
      times.rendered.push(end[1] - start);
    }
    await window.__playground.settle();
    // A person's keystrokes come at any moment of the display's frame (16.7 ms at 60 Hz), and the
    // wait for the next frame is part of the time: spread the edits evenly over that phase
    // (golden-ratio steps) rather than always at the same distance from the last frame.
    await new Promise((r) => setTimeout(r, 20 + ((i * 0.618034) % 1) * 16.7));
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
    backend, ran_on: status.kind, adapter: status.adapter, tokens: `${total}–${total + 1}`, edits: times.bars.length,
    keystroke_median_ms: quantile(times.bars, 0.5), keystroke_p95_ms: quantile(times.bars, 0.95),
    keystroke_rendered_median_ms: quantile(times.rendered, 0.5), keystroke_rendered_p95_ms: quantile(times.rendered, 0.95),
    last_worker_update_ms: worker, first_probabilities_cold_ms: cold.ms, first_probabilities_warm_ms: warm.ms,
  };
}

/** www/ as commit `rev` had it, in a temporary folder, with this checkout's wasm build (www/pkg). */
function pageOf(rev) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-bench-page-'));
  execFileSync('sh', ['-c', `git -C "$1" archive "$2" www | tar -x -C "$3"`, 'sh', h.ROOT, rev, dir]);
  fs.cpSync(path.join(h.WWW, 'pkg'), path.join(dir, 'www/pkg'), { recursive: true });
  return { dir, www: path.join(dir, 'www') };
}

const row = (label, r) => (r.error ? `${label.padEnd(22)} ${r.error}`
  : `${label.padEnd(22)} ${r.ran_on.padEnd(7)} ${r.tokens.padEnd(6)} ${r.keystroke_median_ms.toFixed(1).padStart(6)} / ${r.keystroke_p95_ms.toFixed(1).padEnd(6)}`
    + ` ${r.keystroke_rendered_median_ms.toFixed(1).padStart(6)} / ${r.keystroke_rendered_p95_ms.toFixed(1).padEnd(6)}`
    + `  ${r.first_probabilities_cold_ms.toFixed(0).padStart(5)} / ${r.first_probabilities_warm_ms.toFixed(0)} ms${r.adapter ? `  (${r.adapter})` : ''}`);
const HEADER = 'page / backend         ran on  tokens  keystroke → bars  → frame rendered   first probabilities\n'
  + '                                       median / p95      median / p95      cold / warm';

/**
 * Run as a script (not when imported by scripts/profile-keystroke.mjs). With `--against REV`,
 * the SIMD backend only, on this checkout's page and on commit REV's, in turn, `--rounds` times
 * (default 2): the two pages side by side on the same machine in the same minutes, and how much
 * the figures move from one round to the next.
 */
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const option = (name) => {
    const at = args.indexOf(name);
    return at < 0 ? null : args.splice(at, 2)[1];
  };
  const against = option('--against');
  const rounds = Number(option('--rounds') ?? 2);
  const out = args[0] || 'bench-page.json';
  const wanted = args.length > 1 ? args.slice(1) : against ? ['simd'] : ['scalar', 'simd', 'gpu'];
  const results = [];
  let chromium = null;
  const run = async (label, page, backends, options = {}) => {
    const env = await h.start({ ...options, root: page });
    chromium ??= await env.context.browser()?.version?.() ?? null;
    try {
      for (const backend of backends) {
        let r;
        try {
          r = { page: label, ...await measure(env, backend) };
        } catch (e) {
          r = { page: label, backend, error: String(e.message || e) };
        }
        results.push(r);
        console.log(row(`${label} ${backend}`, r));
      }
    } finally {
      await env.stop();
    }
  };
  console.log(HEADER);
  if (against) {
    const old = pageOf(against);
    try {
      for (let round = 1; round <= rounds; round++) {
        await run(`${against} (${round})`, old.www, wanted);
        await run(`this checkout (${round})`, h.WWW, wanted);
      }
    } finally {
      fs.rmSync(old.dir, { recursive: true, force: true });
    }
  } else {
    await run('page', h.WWW, wanted.filter((b) => b !== 'gpu'));
    if (wanted.includes('gpu')) await run('page', h.WWW, ['gpu'], { webgpu: true });
  }
  fs.writeFileSync(out, JSON.stringify({ clock: 'wall, inside the page', chromium, edits: EDITS, against, results }, null, 2));
}
