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

/**
 * A view whose section is out of sight redraws in the frame after the one that shows the
 * others, so a keystroke's frame holds only what the learner can see (the text box and the bars,
 * when typing at the top of the page). A section that scrolls into sight redraws at once; the
 * margin has it current a little before.
 */
const NEAR_MARGIN = '10% 0px';

/** Returns the function that stops the views from redrawing (the playground is going away). */
export function mountViews(root, store, actions, { page = true } = {}) {
  const mounted = Object.values(VIEW_SECTIONS).map(([selector, mount]) => [root.querySelector(selector), mount]).filter(([section]) => section);
  const views = [
    { section: null, render: mountShell(root, actions, { page }) },
    ...mounted.map(([section, mount]) => ({ section, render: mount(root, actions) })),
  ];
  const far = new Set(); // sections, as the observer last saw them
  let frame = 0;
  let farFrame = 0;
  // A view that must read the layout (a scroll position, a size) or paint a canvas returns a
  // function that does, run once every view has written: the frame then lays out once.
  const draw = (list) => {
    const state = store.get();
    const reads = list.map((view) => view.render(state)).filter((read) => typeof read === 'function');
    for (const read of reads) read();
  };
  const renderFar = () => {
    farFrame = 0;
    // A frame that also brings new data to the near views is theirs: wait for a quieter one.
    if (frame) { farFrame = requestAnimationFrame(renderFar); return; }
    draw(views.filter((view) => far.has(view.section)));
  };
  const render = () => {
    frame = 0;
    draw(views.filter((view) => !far.has(view.section)));
    if (far.size && !farFrame) farFrame = requestAnimationFrame(renderFar);
  };
  const request = () => { if (!frame) frame = requestAnimationFrame(render); };
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) far.delete(entry.target);
      else far.add(entry.target);
    }
    request();
  }, { rootMargin: NEAR_MARGIN });
  for (const view of views) if (view.section) observer.observe(view.section);
  const unsubscribe = store.subscribe(request);
  draw(views);
  return () => {
    unsubscribe();
    observer.disconnect();
    cancelAnimationFrame(frame);
    cancelAnimationFrame(farFrame);
  };
}
