// A chapter's own settings in the lessons' link (`?chapter=6&temperature=0.3&seed=7`), so a
// teacher can share the exact view. Its module declares them as `link`, a schema in
// url-state.js's format (`{ temperature: { name: 'temperature', type: 'number', min, max } }`,
// `fromOne` for layers and heads), and they are read by url-state.js's own field reader (and
// written by its `writeFields`). Unlike the playground's fields, a chapter's setting is taken whole or not
// at all: a value the reader would have to clamp or cut is refused (and said, as other bad
// values are), so the chapter keeps its own. A name the chapter does not declare is ignored.

import { readField } from '../url-state.js';

/** The state fields `raw` (query parameters by name) gives, and what could not be used. */
export function parseLinkFields(schema = {}, raw = {}) {
  const values = {};
  const dropped = [];
  for (const [field, spec] of Object.entries(schema)) {
    if (!Object.hasOwn(raw, spec.name)) continue;
    const read = readField(spec, raw[spec.name]);
    if ('dropped' in read || read.clamped) dropped.push({ name: spec.name, raw: raw[spec.name] });
    else values[field] = spec.fromOne && typeof read.value === 'number' ? read.value - 1 : read.value;
  }
  return { values, dropped };
}
