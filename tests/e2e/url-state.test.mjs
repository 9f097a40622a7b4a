// The link parser on its own (node, no browser): every shared-link field out of range, of the
// wrong type or hostile is clamped or dropped by its schema, and the rest of the link still
// applies. Rows of tests/BAD_INPUTS.md name these tests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromUrl, toUrl, parseFields, URL_SCHEMA, MAX_LINK_TEXT } from '../../www/url-state.js';

const query = (params) => `?${new URLSearchParams(params)}`;

test('url: numbers out of range are clamped into the controls\' ranges, the rest applies', () => {
  // Layers, heads, tokens and steps count from 1 in a link, as on the page: step=6 is the last.
  const { state, notes } = fromUrl(query({ text: 'hi', p: '-1', t: '99', k: '-5', seed: '1e12', step: '42', layer: '-3', lang: 'zh' }));
  assert.deepEqual(state, { text: 'hi', topP: 0.05, temperature: 2, topK: 0, seed: 2 ** 32 - 1, step: 5, layer: 0, lang: 'zh' });
  assert.deepEqual(notes.map((n) => [n.name, n.outcome]).sort(), [
    ['k', 'clamped'], ['layer', 'clamped'], ['p', 'clamped'], ['seed', 'clamped'], ['step', 'clamped'], ['t', 'clamped'],
  ]);
  assert.equal(notes.find((n) => n.name === 'p').value, 0.05);
});

test('url: values of the wrong type are dropped, each alone', () => {
  for (const bad of ['', ' ', 'abc', '0x10', 'Infinity', '-Infinity', 'NaN', '1e999', '1,5', '2 3', '[1]', '{"a":1}', '١٢']) {
    const { state, notes } = fromUrl(query({ text: 'hi', layer: bad, t: bad, k: bad }));
    assert.deepEqual(state, { text: 'hi' }, `value ${JSON.stringify(bad)}`);
    assert.deepEqual(notes.map((n) => n.outcome), ['dropped', 'dropped', 'dropped'], `value ${JSON.stringify(bad)}`);
  }
  // An integer field does not round a fraction: the link meant something else.
  assert.deepEqual(fromUrl('?layer=1.5&head=2&t=0.5').state, { head: 1, temperature: 0.5 });
  assert.deepEqual(fromUrl('?t=+.5&p=1.&k=007').state, { temperature: 0.5, topP: 1, topK: 7 });
});

test('url: enums outside their values and hostile strings are dropped', () => {
  const hostile = ['<script>alert(1)</script>', 'javascript:alert(1)', '__proto__', 'constructor', 'Causal', 'causal ', 'gpu\0'];
  for (const bad of hostile) {
    const { state } = fromUrl(query({ mask: bad, lang: bad, backend: bad, text: 'ok' }));
    assert.deepEqual(state, { text: 'ok' }, bad);
  }
  // Names that are not fields, prototype names included, change nothing.
  const { state } = fromUrl('?__proto__=1&constructor=2&toString=3&hasOwnProperty=4&mask=bidirectional');
  assert.deepEqual(state, { mask: 'bidirectional' });
  assert.equal(Object.getPrototypeOf(state), Object.prototype);
  assert.equal({}.polluted, undefined);
});

test('url: text is capped by characters without splitting an emoji, and markup stays text', () => {
  const long = '😀'.repeat(MAX_LINK_TEXT + 10);
  const { state, notes } = fromUrl(query({ text: long }));
  assert.equal(Array.from(state.text).length, MAX_LINK_TEXT);
  assert.ok(state.text.endsWith('😀'), 'no lone surrogate at the cut');
  assert.deepEqual(notes.map((n) => n.outcome), ['clamped']);
  const markup = '<img src=x onerror=alert(1)></script>javascript:';
  assert.equal(fromUrl(query({ text: markup })).state.text, markup);
  // A malformed percent escape is the browser's to decode: URLSearchParams turns it into U+FFFD.
  assert.equal(fromUrl('?text=%E5%96&k=3').state.topK, 3);
});

test('url: a name given twice counts once; embed is only "1"', () => {
  assert.deepEqual(fromUrl('?k=3&k=-9').state, { topK: 3 });
  assert.equal(fromUrl('?embed=1').embed, true);
  assert.equal(fromUrl('?embed=true').embed, false);
});

test('url: the parser takes any plain map, e.g. a custom element\'s attributes', () => {
  assert.deepEqual(parseFields({ text: '小明', layer: '2', mask: 'nope' }).state, { text: '小明', layer: 1 });
  assert.deepEqual(parseFields({ layer: 1 }).state, {}, 'only strings, as attributes are');
});

test('url: what the page writes, it reads back unchanged', () => {
  const defaults = { text: 'a', layer: 0, head: 0, focus: null, step: 0, temperature: 1, topK: 0, topP: 1, seed: 42, mask: 'causal', lang: null, backend: 'auto' };
  const state = { ...defaults, text: '小明 & <b>?=#', layer: 1, step: 3, temperature: 0.35, topK: 7, topP: 0.9, seed: 7, mask: 'bidirectional', lang: 'zh', backend: 'simd', focus: 2 };
  const written = toUrl(state, defaults, '/');
  // The link counts as the page does: the second layer is layer=2, the fourth step step=4.
  assert.match(written, /layer=2&/);
  assert.match(written, /focus=3&step=4&/);
  const { state: read, notes } = fromUrl(written);
  assert.deepEqual(notes, []);
  assert.deepEqual({ ...defaults, ...read }, state);
  assert.equal(toUrl(defaults, defaults, '/index.html'), '/index.html');
});

test('url: every schema field names a known type and a sane range', () => {
  for (const [field, spec] of Object.entries(URL_SCHEMA)) {
    assert.ok(['text', 'int', 'number', 'enum', 'focus'].includes(spec.type), field);
    if (['int', 'number', 'focus'].includes(spec.type)) assert.ok(spec.min <= spec.max, field);
  }
});

test('url: focus is a token index or a word of the text', () => {
  assert.deepEqual(fromUrl(query({ focus: '2' })).state, { focus: 1 });
  assert.deepEqual(fromUrl(query({ focus: ' 喜欢 ' })).state, { focus: '喜欢' });
  assert.deepEqual(fromUrl(query({ focus: '-4' })).state, { focus: 0 });
  for (const bad of ['', '   ', '字'.repeat(101), '1.5']) {
    const { state, notes } = fromUrl(query({ focus: bad }));
    assert.deepEqual(state, {}, `focus ${JSON.stringify(bad)}`);
    assert.deepEqual(notes.map((n) => n.outcome), ['dropped']);
  }
});
