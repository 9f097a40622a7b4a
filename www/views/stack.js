// (5) The stack: the focus token's residual stream as it leaves each stage of the model
// (embeddings → each block's attention and MLP → final layer norm → logits).

import { t } from '../i18n.js';
import { absMax, diverging, legend } from '../colors.js';
import { el, fmt, tokenLabel } from './dom.js';

const STAGE_LABEL = {
  embeddings: 'stack.embeddings', attention: 'stack.attention', mlp: 'stack.mlp', final: 'stack.final',
};

export function mountStack(root) {
  const list = root.querySelector('#stack-list');
  const caption = root.querySelector('#stack-caption');
  return (state) => {
    const tr = (key, params) => t(state.lang, key, params);
    const { stack, tokens } = state;
    if (!stack || !tokens) { list.replaceChildren(); caption.textContent = ''; return; }
    caption.textContent = tr('stack.caption', { focus: tokenLabel(tokens.display[stack.token]), c: stack.channels });
    // Layer norm rescales, so the final stage gets its own colour range.
    const limit = absMax(stack.stages.filter((s) => s.kind !== 'final').flatMap((s) => s.values));
    const items = stack.stages.map((stage) => el('li', { className: `stage stage-${stage.kind}` },
      el('span', { className: 'stage-name', textContent: tr(STAGE_LABEL[stage.kind], { layer: stage.layer }) }),
      el('span', { className: 'strip wide-strip', role: 'img', ariaLabel: tr(STAGE_LABEL[stage.kind], { layer: stage.layer }) },
        ...stage.values.map((v, i) => el('span', {
          className: 'cell',
          title: `[${i}] ${fmt(v, 4)}`,
          style: { background: diverging(v, stage.kind === 'final' ? absMax(stage.values) : limit) },
        }))),
      el('span', { className: 'stage-norm', textContent: tr('stack.norm', { norm: fmt(stage.norm, 2) }) })));
    items.push(el('li', { className: 'stage stage-logits' },
      el('span', { className: 'stage-name', textContent: tr('stack.logits', { top: tokenLabel(stack.top.text) }) })));
    list.replaceChildren(...items, el('li', { className: 'stage-legend' }, legend('diverging', tr('legend.values'), '−', '+')));
  };
}
