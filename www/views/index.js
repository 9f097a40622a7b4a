// Mounts the views present in `root` and re-renders them once per animation frame after the
// store changes (each view then redraws only what changed). The full page has every section;
// an <attention-playground> only those of its view.

import { mountShell } from './shell.js';
import { mountTokens } from './tokens.js';
import { mountNext } from './next.js';
import { mountSteps } from './steps.js';
import { mountMaps } from './maps.js';
import { mountStack } from './stack.js';
import { mountMask } from './mask.js';

/** Each view and the section of index.html it lives in. */
export const VIEW_SECTIONS = {
  tokens: ['#input', mountTokens],
  next: ['#next', mountNext],
  steps: ['#steps', mountSteps],
  maps: ['#maps', mountMaps],
  stack: ['#stack', mountStack],
  mask: ['#mask', mountMask],
};

/** Returns the function that stops the views from redrawing (the playground is going away). */
export function mountViews(root, store, actions, { page = true } = {}) {
  const mounts = Object.values(VIEW_SECTIONS).filter(([section]) => root.querySelector(section)).map(([, mount]) => mount);
  const renders = [mountShell(root, actions, { page }), ...mounts.map((mount) => mount(root, actions))];
  let frame = 0;
  // A view that must read the layout (a scroll position, a size) returns a function that does,
  // run once every view has written: the frame then lays out once, not once per view.
  const render = () => {
    frame = 0;
    const state = store.get();
    const reads = renders.map((r) => r(state)).filter((read) => typeof read === 'function');
    for (const read of reads) read();
  };
  const unsubscribe = store.subscribe(() => { if (!frame) frame = requestAnimationFrame(render); });
  render();
  return () => {
    unsubscribe();
    cancelAnimationFrame(frame);
  };
}
