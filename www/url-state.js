// The shareable part of the page's state as text: the URL's query string, and any other plain
// {name: value} map (a custom element's attributes). A link is written by someone else and may
// be old, cut, edited by hand or hostile, so every field is read by its schema: a number out of
// range is clamped, a value of the wrong type or outside an enum is dropped, text is capped.
// Each field is judged alone, so one bad value never costs the rest of the link, and every
// change is reported so the page can say what it did.

import { LANGUAGES } from './i18n.js';
import { STEP_COUNT } from './views/steps.js';

/** A shared link's text beyond this many characters is cut (the model sees far fewer tokens). */
export const MAX_LINK_TEXT = 2000;

/**
 * One entry per state field: its name in the URL and how to read it.
 * `int`/`number` have an inclusive range [min, max] and are clamped into it; `enum` lists the
 * accepted values; `text` is capped at `max` characters; `focus` is an `int` or else a word of
 * at most `maxWord` characters. A `fromOne` number is the state's index + 1. The ranges are the page's controls'.
 */
export const URL_SCHEMA = {
  text: { name: 'text', type: 'text', max: MAX_LINK_TEXT },
  // Layers, heads, tokens and steps count from 1, as the page shows them (`fromOne`): layer=1 is
  // the first layer. The model's own limits are applied by the engine, which clamps to its
  // layers and heads.
  layer: { name: 'layer', type: 'int', min: 1, max: 1024, fromOne: true },
  head: { name: 'head', type: 'int', min: 1, max: 1024, fromOne: true },
  // A token's number, or a word of the text (the last token of its first occurrence).
  focus: { name: 'focus', type: 'focus', min: 1, max: 1_000_000, maxWord: 100, fromOne: true },
  step: { name: 'step', type: 'int', min: 1, max: STEP_COUNT, fromOne: true },
  temperature: { name: 't', type: 'number', min: 0.1, max: 2 },
  topK: { name: 'k', type: 'int', min: 0, max: 50 },
  topP: { name: 'p', type: 'number', min: 0.05, max: 1 },
  seed: { name: 'seed', type: 'int', min: 0, max: 2 ** 32 - 1 },
  mask: { name: 'mask', type: 'enum', values: ['causal', 'bidirectional'] },
  // Which model: the GPT (next word) or the BERT-style encoder (fill in [MASK]); a folder of models/.
  modelName: { name: 'model', type: 'enum', values: ['default', 'encoder'] },
  lang: { name: 'lang', type: 'enum', values: LANGUAGES },
  backend: { name: 'backend', type: 'enum', values: ['auto', 'gpu', 'simd', 'scalar'] },
};

// Plain decimal only: Number() would also take '', ' ', '0x1f', '1e999' and 'Infinity'.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d{1,3})?$/i;

/**
 * Read one raw value by its schema entry.
 * Returns { value } when usable (`clamped: true` when it was moved into range or cut), or
 * { dropped: why } with why one of 'type', 'range', 'enum'.
 */
export function readField(spec, raw) {
  if (typeof raw !== 'string') return { dropped: 'type' };
  if (spec.type === 'text') {
    // Count characters, not UTF-16 units, and never cut a surrogate pair in half.
    const chars = Array.from(raw);
    return chars.length > spec.max ? { value: chars.slice(0, spec.max).join(''), clamped: true } : { value: raw };
  }
  if (spec.type === 'enum') return spec.values.includes(raw) ? { value: raw } : { dropped: 'enum' };
  const trimmed = raw.trim();
  if (spec.type === 'focus' && !DECIMAL.test(trimmed)) {
    if (trimmed === '' || Array.from(trimmed).length > spec.maxWord) return { dropped: 'type' };
    return { value: trimmed };
  }
  if (!DECIMAL.test(trimmed)) return { dropped: 'type' };
  const number = Number(trimmed);
  if (!Number.isFinite(number)) return { dropped: 'range' };
  if (spec.type !== 'number' && !Number.isInteger(number)) return { dropped: 'type' };
  const value = Math.min(spec.max, Math.max(spec.min, number));
  return value === number ? { value } : { value, clamped: true };
}

/**
 * Read a plain {urlName: string} map. Unknown names are ignored.
 * Returns { state, notes }: `state` holds only the usable fields (by state field name);
 * `notes` lists what was changed, as { name, raw, outcome: 'clamped' | 'dropped', why?, value? }.
 */
export function parseFields(map) {
  const state = {};
  const notes = [];
  for (const [field, spec] of Object.entries(URL_SCHEMA)) {
    if (!Object.hasOwn(map, spec.name)) continue;
    const raw = map[spec.name];
    const read = readField(spec, raw);
    if ('dropped' in read) {
      notes.push({ name: spec.name, raw: String(raw), outcome: 'dropped', why: read.dropped });
      continue;
    }
    state[field] = spec.fromOne && typeof read.value === 'number' ? read.value - 1 : read.value;
    if (read.clamped) notes.push({ name: spec.name, raw: String(raw), outcome: 'clamped', value: read.value });
  }
  return { state, notes };
}

/** The state a query string asks for; a name given twice counts once (its first value). */
export function fromUrl(search) {
  const map = {};
  for (const [name, value] of new URLSearchParams(search)) if (!Object.hasOwn(map, name)) map[name] = value;
  return { ...parseFields(map), embed: map.embed === '1' };
}

/** Set in `params` each field of `schema` whose value in `state` differs from `defaults`. */
export function writeFields(params, state, defaults, schema = URL_SCHEMA) {
  for (const [field, spec] of Object.entries(schema)) {
    let value = state[field];
    if (value == null || value === defaults[field]) continue;
    if (spec.type === 'text') value = Array.from(value).slice(0, spec.max).join('');
    if (spec.fromOne && typeof value === 'number') value += 1;
    params.set(spec.name, String(value));
  }
}

/** The query string for `state`, leaving out fields at their default. */
export function toUrl(state, defaults, pathname) {
  const params = new URLSearchParams();
  writeFields(params, state, defaults);
  if (state.embed) params.set('embed', '1');
  const query = params.toString();
  return query ? `?${query}` : pathname;
}
