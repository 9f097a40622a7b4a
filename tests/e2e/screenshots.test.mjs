// Screenshots of every main view, in both languages, on a desktop and a phone, for a person to
// look at (tests/e2e/screenshots/, not committed). Also checks that nothing overflows the phone
// screen sideways and that the embed example sizes its iframe to the content.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';

let env;
before(async () => { env = await h.start(); });
after(async () => { await env?.stop(); });

const VIEWS = ['input', 'next', 'steps', 'maps', 'stack', 'mask'];
const TEXT = encodeURIComponent('小明 喜欢 苹果');

for (const lang of ['en', 'zh']) {
  test(`desktop views (${lang})`, async () => {
    const page = await h.open(env, `?lang=${lang}&text=${TEXT}&step=5`, { width: 1280, height: 1100 });
    await h.screenshot(page, `desktop-${lang}`);
    await page.screenshot({ path: `${h.SCREENSHOTS}/first-screen-${lang}.png` });
    await page.setViewportSize({ width: 1280, height: 1700 });
    await page.screenshot({ path: `${h.SCREENSHOTS}/readme-${lang}.png` });
    for (const view of VIEWS) {
      const box = await page.$(`#${view}`);
      await box.screenshot({ path: `${h.SCREENSHOTS}/${view}-${lang}.png` });
    }
    // What a newcomer opens: the words explained, the logit table, and the last step.
    await page.click('.glossary summary');
    await page.click('.softmax summary');
    await page.click('#step-list button[data-step="5"]');
    await h.settle(page);
    for (const view of ['input', 'next', 'steps']) {
      await (await page.$(`#${view}`)).screenshot({ path: `${h.SCREENSHOTS}/${view}-open-${lang}.png` });
    }
    await page.close();
  });

  test(`phone width (${lang})`, async () => {
    const page = await h.open(env, `?lang=${lang}&text=${TEXT}&step=2`, { width: 390, height: 844 });
    // A phone has a touch screen: its hints say "tap", not "hover" or "use ← →".
    await (await page.context().newCDPSession(page)).send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
    await page.reload();
    await h.ready(page);
    await h.screenshot(page, `phone-${lang}`);
    for (const view of ['input', 'next', 'steps', 'maps', 'stack']) {
      await (await page.$(`#${view}`)).screenshot({ path: `${h.SCREENSHOTS}/phone-${view}-${lang}.png` });
    }
    // Steps 4–6 have the widest table: its current column must be on screen.
    await page.click('#step-list button[data-step="4"]');
    await h.settle(page);
    await (await page.$('#steps')).screenshot({ path: `${h.SCREENSHOTS}/phone-steps-softmax-${lang}.png` });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than the phone`);
    await page.close();
  });
}

test('the embed example shows the compact widget, sized to its content', async () => {
  const page = await env.context.newPage();
  await page.goto(`${env.url}embed-example.html`);
  const frame = await (await page.waitForSelector('iframe')).contentFrame();
  await frame.waitForFunction(() => window.__playground && !window.__playground.store.get().loading
    && window.__playground.store.get().tokens, null, { timeout: 120_000 });
  await frame.evaluate(() => window.__playground.settle());
  assert.equal(await frame.evaluate(() => document.body.classList.contains('embed')), true);
  assert.equal(await frame.inputValue('#text-input'), '小明 喜欢 苹果');
  assert.equal(await frame.isVisible('#maps'), false);
  await page.waitForFunction(() => {
    const f = document.querySelector('iframe');
    return Math.abs(f.getBoundingClientRect().height - f.contentDocument.documentElement.scrollHeight) < 4;
  }, null, { timeout: 10_000 });
  await h.screenshot(page, 'embed-example');
  await page.close();
});

test('the widget with data-chapter embeds one lesson chapter, without the lessons page around it, sized to it', async () => {
  const page = await env.context.newPage();
  await page.goto(`${env.url}embed-example.html`);
  const frame = await (await page.waitForSelector('iframe[src*="lessons.html"]')).contentFrame();
  await frame.waitForFunction(() => window.__lessons, null, { timeout: 60_000 });
  await frame.evaluate(() => window.__lessons.settle());
  assert.equal(await frame.evaluate(() => window.__lessons.number), 3);
  assert.equal(await frame.evaluate(() => document.body.classList.contains('embed')), true);
  assert.equal(await frame.isVisible('#toc'), false);
  assert.equal(await frame.isVisible('.pager'), false);
  assert.equal(await frame.isVisible('.lesson-view'), true);
  // The way to the whole lessons opens them at this chapter, in a tab of their own.
  const full = new URL(await frame.getAttribute('#full-lessons', 'href'));
  assert.equal(full.searchParams.get('chapter'), '3');
  assert.equal(full.searchParams.has('embed'), false);
  assert.equal(await frame.getAttribute('#full-lessons', 'target'), '_blank');
  // Arrows do not turn the page inside someone else's lesson.
  await frame.click('.lesson-title');
  await frame.press('.lesson-title', 'ArrowRight');
  assert.equal(await frame.evaluate(() => window.__lessons.number), 3);
  await page.waitForFunction(() => {
    const f = document.querySelector('iframe[src*="lessons.html"]');
    return Math.abs(f.getBoundingClientRect().height - f.contentDocument.documentElement.scrollHeight) < 4;
  }, null, { timeout: 10_000 });
  const lessonFrame = await page.$('iframe[src*="lessons.html"]');
  await lessonFrame.scrollIntoViewIfNeeded();
  await lessonFrame.screenshot({ path: `${h.SCREENSHOTS}/embed-example-lesson.png` });
  await page.close();
});
