// Nothing typed runs: markup and script-like text in every input (the text box, the seed, every
// URL parameter) is shown as text, sets no global, opens no dialog and fetches nothing; and the
// page's own code has no way to turn text into markup or code.

import fs from 'node:fs';
import path from 'node:path';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';
import { URL_SCHEMA } from '../../www/url-state.js';

/** Each payload, if it ran, would set window.__pwned or fetch /pwned-N. */
const PAYLOADS = [
  '<img src=/pwned-1 onerror="window.__pwned=1">',
  '"><svg onload="window.__pwned=2"></svg>',
  '</textarea></script><script>window.__pwned=3</script>',
  'javascript:window.__pwned=4',
  '{{constructor.constructor("window.__pwned=5")()}}',
  '${window.__pwned=6}',
  '<a href="javascript:window.__pwned=7">x</a><iframe src="/pwned-8"></iframe>',
  '<style>@import "/pwned-9";</style>',
];

let env;
before(async () => { env = await h.start(); });
after(async () => { await env?.stop(); });

/** Paths the server saw that are not files of www/ (a payload that ran would add one). */
function strangeRequests(from) {
  return env.requests.slice(from).filter((p) => !fs.existsSync(path.join(h.WWW, p)) && p !== '/favicon.ico');
}

async function assertNothingRan(page, from) {
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'a payload ran');
  assert.deepEqual(env.dialogs, []);
  assert.deepEqual(strangeRequests(from), []);
  // Only the page's own elements: none of the payloads' tags appear anywhere.
  assert.equal(await page.$$eval('body img, body iframe, body style, body script', (n) => n.length), 0);
  assert.deepEqual(page.errors, []);
}

test('markup typed into the text box and the seed is text, and runs nothing', async () => {
  const from = env.requests.length;
  const page = await h.open(env, '?lang=en');
  for (const payload of PAYLOADS) {
    await h.type(page, payload);
    const s = await h.state(page);
    assert.equal(s.text, payload);
    assert.equal((await page.$$eval('#tokens .chip-text', (n) => n.map((c) => c.textContent))).join('').replaceAll('␣', ' '), payload);
    // The seed is a number box: whatever is put in it, only a number reaches the store.
    await page.$eval('#seed', (input, v) => { input.value = v; input.dispatchEvent(new Event('change', { bubbles: true })); }, payload);
    assert.equal(typeof (await h.state(page)).seed, 'number');
  }
  await h.settle(page);
  await assertNothingRan(page, from);
  await page.close();
});

test('markup in every URL parameter runs nothing; the text shows literally', async () => {
  for (const payload of PAYLOADS) {
    const from = env.requests.length;
    const params = new URLSearchParams({ embed: payload });
    for (const { name } of Object.values(URL_SCHEMA)) params.set(name, payload);
    params.set('lang', 'en');
    const page = await h.open(env, `?${params}`);
    const s = await h.state(page);
    assert.equal(s.text, payload);
    assert.equal(await page.inputValue('#text-input'), payload);
    await assertNothingRan(page, from);
    await page.close();
  }
});

test('the page\'s code never turns strings into markup or code', () => {
  const sources = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.(m?js|html)$/.test(entry.name)) sources.push(file);
    }
  };
  walk(h.WWW);
  assert.ok(sources.some((f) => f.endsWith('app.js')) && sources.some((f) => f.includes('/pkg/')), 'scanned our code and the generated glue');
  const sinks = /\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\s*\(|\bnew\s+Function\b|\bFunction\s*\(\s*['"`]|set(Timeout|Interval)\s*\(\s*['"`]|createContextualFragment|\bsrcdoc\b/;
  const found = sources.flatMap((file) => fs.readFileSync(file, 'utf8').split('\n')
    .map((line, i) => [line, i])
    .filter(([line]) => sinks.test(line))
    .map(([line, i]) => `${path.relative(h.ROOT, file)}:${i + 1}: ${line.trim().slice(0, 120)}`));
  assert.deepEqual(found, []);
});
