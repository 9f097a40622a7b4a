// Where a keystroke's main-thread time goes, in headless Chromium on the SIMD backend: Chromium's
// own trace (script, style recalc, layout, paint, ...; self time, so nothing counts twice), a CPU
// profile of the script split by view (the outermost views/*.js frame of each sample), and the DOM
// mutations each edit makes, over the same edits as scripts/bench-page.mjs (typing and deleting a
// letter at the end of a 63–64-token text). A tool for finding what to make faster, not a
// benchmark: tracing and profiling slow the page down. Not part of the test command.
//
// node scripts/profile-keystroke.mjs [EDITS] [ROOT]   (ROOT: another www/ folder, e.g. an older commit's)

import path from 'node:path';
import * as h from '../tests/e2e/harness.mjs';
import { keystrokes, textOf, quantile } from './bench-page.mjs';

const edits = Number(process.argv[2] || 40);
const root = process.argv[3] ? path.resolve(process.argv[3]) : h.WWW;

/** Trace event names, grouped as DevTools' summary groups them. */
const GROUP = {
  FunctionCall: 'script', EvaluateScript: 'script', 'v8.compile': 'script', TimerFire: 'script', FireAnimationFrame: 'script',
  EventDispatch: 'script', RunMicrotasks: 'script', 'V8.GCScavenger': 'gc', MinorGC: 'gc', MajorGC: 'gc',
  UpdateLayoutTree: 'style', RecalculateStyles: 'style', ParseAuthorStyleSheet: 'style',
  Layout: 'layout', UpdateLayer: 'layout', IntersectionObserverController: 'layout', HitTest: 'layout',
  PrePaint: 'paint', Paint: 'paint', PaintImage: 'paint', Layerize: 'paint', UpdateLayerTree: 'paint',
  Commit: 'composite', CompositeLayers: 'composite',
};

/** Self time of each trace event on the renderer's main thread, summed by group. */
function mainThreadTime(events) {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const mine = events.filter((e) => e.ph === 'X' && main && e.pid === main.pid && e.tid === main.tid && e.dur > 0)
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const totals = {};
  const others = {}; // the names behind "other"
  const open = []; // the stack of enclosing events
  const add = (e, us) => {
    const group = GROUP[e.name] ?? 'other';
    totals[group] = (totals[group] ?? 0) + us;
    if (group === 'other') others[e.name] = (others[e.name] ?? 0) + us;
  };
  for (const e of mine) {
    while (open.length && open.at(-1).ts + open.at(-1).dur <= e.ts) open.pop();
    const parent = open.at(-1);
    if (parent) add(parent, -Math.min(e.dur, parent.ts + parent.dur - e.ts));
    add(e, e.dur);
    open.push(e);
  }
  const ms = (o) => Object.fromEntries(Object.entries(o).map(([k, us]) => [k, us / 1000]));
  return { totals: ms(totals), others: ms(others) };
}

/** Sampled script time by the outermost views/*.js (or other www/) file on the stack. */
function scriptByFile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = new Map();
  const ownerOf = (id) => {
    if (owner.has(id)) return owner.get(id);
    const n = byId.get(id);
    const file = n.callFrame.url.match(/\/((?:views\/)?[\w-]+\.js)$/)?.[1];
    const up = parent.has(id) ? ownerOf(parent.get(id)) : null;
    // The outermost view wins; app.js and index.js only call views, so a view below them names the time.
    const result = up && up.startsWith('views/') && up !== 'views/index.js' ? up : (file && file !== 'views/index.js' ? file : up) ?? null;
    owner.set(id, result);
    return result;
  };
  const totals = {};
  const dt = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    if (n.callFrame.functionName === '(idle)' || n.callFrame.functionName === '(program)') return;
    const key = ownerOf(id) ?? `(${n.callFrame.functionName || 'anonymous'})`;
    totals[key] = (totals[key] ?? 0) + (dt[i + 1] ?? 0) / 1000;
  });
  return totals;
}

/** DOM mutations per edit: records of each kind, and nodes added or removed (with their subtrees). */
const WATCH_MUTATIONS = () => {
  const counts = { records: 0, attributes: 0, text: 0, added: 0, removed: 0 };
  const size = (n) => 1 + (n.querySelectorAll ? n.querySelectorAll('*').length : 0);
  new MutationObserver((records) => {
    for (const r of records) {
      counts.records++;
      if (r.type === 'attributes') counts.attributes++;
      if (r.type === 'characterData') counts.text++;
      for (const n of r.addedNodes) counts.added += size(n);
      for (const n of r.removedNodes) counts.removed += size(n);
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  window.__mutations = counts;
};

const env = await h.start({ root });
const page = await h.open(env, '?backend=simd');
const { total } = await textOf(page, 63);
const nodes = await page.evaluate(() => document.getElementsByTagName('*').length);
await page.evaluate(WATCH_MUTATIONS);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
const events = [];
cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
const traced = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute', transferMode: 'ReportEvents' });
await cdp.send('Profiler.start');
const times = await keystrokes(page, edits);
const { profile } = await cdp.send('Profiler.stop');
await cdp.send('Tracing.end');
await traced;
const mutations = await page.evaluate(() => window.__mutations);
await env.stop();

const per = (ms) => (ms / edits).toFixed(2).padStart(7);
console.log(`${edits} edits at ${total}–${total + 1} tokens, ${nodes} elements on the page; root ${path.relative(process.cwd(), root) || '.'}`);
console.log(`keystroke → bars while traced: median ${quantile(times.bars, 0.5).toFixed(1)} ms, p95 ${quantile(times.bars, 0.95).toFixed(1)} ms;`
  + ` → frame rendered: ${quantile(times.rendered, 0.5).toFixed(1)} / ${quantile(times.rendered, 0.95).toFixed(1)} ms`);
console.log('\nmain thread, ms per edit (self time):');
const { totals, others } = mainThreadTime(events);
if (Object.values(totals).reduce((a, b) => a + b, 0) < edits) console.log('  (the trace came back nearly empty: run again)');
const largest = (o, n) => Object.entries(o).sort((a, b) => b[1] - a[1]).slice(0, n);
for (const [group, ms] of largest(totals, 10)) console.log(`  ${group.padEnd(10)} ${per(ms)}`);
console.log(`  (other: ${largest(others, 4).map(([name, ms]) => `${name} ${per(ms).trim()}`).join(', ')})`);
console.log('\nscript by file, ms per edit (sampled):');
for (const [file, ms] of largest(scriptByFile(profile), 14)) console.log(`  ${file.padEnd(22)} ${per(ms)}`);
console.log('\nDOM mutations per edit:');
for (const [kind, n] of Object.entries(mutations)) console.log(`  ${kind.padEnd(10)} ${(n / edits).toFixed(1).padStart(7)}`);
