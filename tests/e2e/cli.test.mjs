// The page against an independent path: the native command-line engine's `trace` JSON (scalar
// backend, not wasm) for the same text. Tokens, the step-through numbers of a head and the most
// likely next token must agree.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as h from './harness.mjs';

const TEXT = '小明 喜欢 苹果';
const LAYER = 1;
let env;
let cli;

before(async () => {
  // `cargo run` rebuilds the native tool only if it is stale (scripts/test.sh has built it).
  const json = execFileSync('cargo', [
    'run', '--quiet', '--bin', 'attention-playground', '--',
    'trace', '--text', TEXT, '--layer', String(LAYER), '--backend', 'scalar', '--model', `${h.WWW}/models/default`,
  ], { cwd: h.ROOT, maxBuffer: 1 << 28, encoding: 'utf8' });
  cli = JSON.parse(json);
  env = await h.start();
});
after(async () => { await env?.stop(); });

test('the page shows the same numbers as the native engine’s trace', async () => {
  const ids = cli.trace.ids;
  const count = ids.length;
  const head = 1;
  const focus = count - 1;
  const page = await h.open(env, `?lang=en&text=${encodeURIComponent(TEXT)}&layer=${LAYER + 1}&head=${head + 1}&focus=${focus + 1}&step=6`);
  const s = await h.state(page);
  assert.deepEqual(s.tokens.ids, ids);

  const attention = cli.trace.layers[0].attention; // --layer keeps only that block
  const row = (tensor) => tensor.data.slice((head * count + focus) * count, (head * count + focus + 1) * count);
  const close = (shown, ref) => (ref === null ? shown === -Infinity : Math.abs(shown - ref) <= 6e-4 + 1e-3 * Math.abs(ref));
  for (const [col, field] of [['score', 'scores'], ['scaled', 'scaled'], ['masked', 'masked'], ['weight', 'weights']]) {
    const shown = (await page.$$eval(`#step-view td[data-col="${col}"]`, (n) => n.map((c) => c.textContent))).map(h.parseShown);
    const ref = row(attention[field]);
    shown.forEach((v, j) => assert.ok(close(v, ref[j]), `${col}[${j}]: page ${v}, native ${ref[j]}`));
  }
  const top = cli.next_token.top[0];
  assert.equal(s.next.rows[0].id, top.id);
  assert.ok(Math.abs(s.next.rows[0].probability - top.probability) < 1e-3);
  await page.close();
});
