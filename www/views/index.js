// Mounts every view and re-renders them once per animation frame after the store changes.

import { mountShell } from './shell.js';
import { mountTokens } from './tokens.js';
import { mountNext } from './next.js';
import { mountSteps } from './steps.js';
import { mountMaps } from './maps.js';
import { mountStack } from './stack.js';
import { mountMask } from './mask.js';

export function mountViews(root, store, actions) {
  const renders = [mountShell, mountTokens, mountNext, mountSteps, mountMaps, mountStack, mountMask]
    .map((mount) => mount(root, actions));
  let frame = 0;
  const render = () => {
    frame = 0;
    const state = store.get();
    for (const r of renders) r(state);
  };
  store.subscribe(() => { if (!frame) frame = requestAnimationFrame(render); });
  render();
}
