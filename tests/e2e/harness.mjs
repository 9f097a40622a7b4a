// Test harness for the browser tests: serves www/ on 127.0.0.1 (random port), launches Debian's
// Chromium through playwright-core with a fresh profile, and offers helpers that read the page's
// store (window.__playground) instead of guessing from pixels.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WWW = path.join(ROOT, 'www');
export const SCREENSHOTS = path.join(ROOT, 'tests/e2e/screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Fail with a message that says what to do, before any browser starts. */
function checkPrerequisites() {
  const missing = [
    [path.join(WWW, 'pkg/attention_playground.js'), 'www/pkg is missing: build the wasm first (scripts/build-wasm.sh, or `make wasm`)'],
    [path.join(WWW, 'models/default/model.safetensors'), 'www/models/default/ has no model: train or fetch the default model first'],
    [CHROMIUM, `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM=)`],
  ].filter(([file]) => !fs.existsSync(file));
  if (missing.length) throw new Error(missing.map(([, why]) => why).join('\n'));
}

/**
 * Start the server and a browser. `webgpu: true` adds --enable-unsafe-webgpu (Chromium's
 * SwiftShader adapter); without it Chromium has navigator.gpu but no adapter — our "no WebGPU".
 * `root`, `base` and `headers` serve another folder (a built site) under a sub-path with extra
 * response headers; `override(path)` lets the server answer a path with other bytes (see
 * scripts/serve.mjs).
 */
export async function start({ webgpu = false, root = WWW, base = '/', headers = {}, override } = {}) {
  checkPrerequisites();
  const requests = [];
  const { server, url } = await serve({ root, base, headers, override, onRequest: (rel) => requests.push(rel) });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-e2e-'));
  const args = [
    '--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
  ];
  if (webgpu) args.push('--enable-unsafe-webgpu');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args, viewport: { width: 1280, height: 900 },
  });
  const dialogs = [];
  context.on('page', (page) => page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); }));
  return {
    url,
    server,
    context,
    dialogs,
    /** Every path the server was asked for, page and worker alike, in order. */
    requests,
    async stop() {
      await context.close();
      server.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Open the page with a query string and wait until the engine has answered for it. */
export async function open(env, query = '', { width = 1280, height = 900 } = {}) {
  const page = await env.context.newPage();
  await page.setViewportSize({ width, height });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(`${env.url}${query}`);
  await ready(page);
  return page;
}

/** Wait for the model to load and for every pending engine request to finish. */
export async function ready(page, timeout = 120_000) {
  await page.waitForFunction(() => {
    const p = window.__playground;
    if (!p) return false;
    const s = p.store.get();
    return s.error || (!s.loading && s.tokens !== null);
  }, null, { timeout, polling: 100 });
  await settle(page);
  const error = await page.evaluate(() => window.__playground.store.get().error);
  if (error) throw new Error(`the page reported an error: ${error.kind}: ${error.message}`);
}

/** Let the debounced update reach the worker and come back, and the views redraw. */
export async function settle(page) {
  await page.evaluate(async () => {
    await new Promise((r) => requestAnimationFrame(r));
    await window.__playground.settle();
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  });
}

/** The store's current state, minus large arrays. */
export function state(page) {
  return page.evaluate(() => {
    const { weights, ...rest } = window.__playground.store.get();
    return JSON.parse(JSON.stringify(rest, (k, v) => (v === -Infinity ? '-Infinity' : v)));
  });
}

/** Replace the text as a user would: select all, type. */
export async function type(page, text) {
  await page.fill('#text-input', '');
  await page.type('#text-input', text);
  await settle(page);
}

export async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** A number as the page prints it (true minus sign, −∞). */
export function parseShown(text) {
  const t = text.trim().replace('−', '-');
  if (t.startsWith('-∞')) return -Infinity;
  return Number.parseFloat(t);
}

/** Open lessons.html with a query string and wait until the chapter's view has drawn. */
export async function openLesson(env, query, { width = 1280, height = 900 } = {}) {
  const page = await env.context.newPage();
  await page.setViewportSize({ width, height });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(`${env.url}lessons.html${query}`);
  await lessonReady(page);
  return page;
}

/** Wait until the lessons page's chapter has drawn its newest state. */
export async function lessonReady(page) {
  await page.waitForFunction(() => window.__lessons, null, { timeout: 30_000 });
  await page.evaluate(() => window.__lessons.settle());
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}
