// A chapter's own settings in the lessons' link (`?chapter=6&temperature=0.3&seed=7`), so a
// teacher can share the exact view: its module may declare them as `link: { name: spec }`:
//   { integer: [min, max] }           a whole number in that range
//   { number: [min, max] }            any finite number in that range
//   { choice: ['a', 'b'] }            one of those words
//   { text: maxLength }               any text up to that many characters
// and `fromOne: true` for layers and heads, which the link counts from 1 as the page does while
// the state counts from 0. A value the spec refuses is dropped (and said, as other bad values
// are); a name the chapter does not declare is ignored.

/** The state fields `raw` (query parameters by name) gives, and what could not be used. */
export function parseLinkFields(spec = {}, raw = {}) {
  const values = {};
  const dropped = [];
  for (const [name, field] of Object.entries(spec)) {
    if (!Object.hasOwn(raw, name)) continue;
    const value = parseField(field, raw[name]);
    if (value === undefined) dropped.push({ name, raw: raw[name] });
    else values[name] = value;
  }
  return { values, dropped };
}

/** Set in `params` each declared field of `state` that differs from the chapter's start. */
export function writeLinkFields(spec = {}, state = {}, initial = {}, params) {
  for (const [name, field] of Object.entries(spec)) {
    const value = state[name];
    if (value == null || value === initial[name]) continue;
    params.set(name, String(field.fromOne && typeof value === 'number' ? value + 1 : value));
  }
}

function parseField(field, raw) {
  const text = String(raw).trim();
  if (field.integer || field.number) {
    const [min, max] = field.integer ?? field.number;
    if (field.integer ? !/^-?\d+$/.test(text) : !/^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(text)) return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max) return undefined;
    return field.fromOne ? n - 1 : n;
  }
  if (field.choice) return field.choice.includes(text) ? text : undefined;
  if (field.text) return text.length > 0 && Array.from(text).length <= field.text ? text : undefined;
  return undefined;
}
