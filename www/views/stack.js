// (5) The stack: the focus token's residual stream as it leaves each stage of the model
// (embeddings → each block's attention and MLP → final layer norm → logits), and the chain from
// one head's output to the bars of section 2, in the model's own dimensions.

import { t } from '../i18n.js';
import { absMax, legend } from '../colors.js';
import { candidateLabel, changeTracker, el, fmt, keepChildren, proseLabel, update } from './dom.js';
import { createStrip } from './strip.js';

const STAGE_LABEL = {
  embeddings: 'stack.embeddings', attention: 'stack.attention', mlp: 'stack.mlp', final: 'stack.final',
};

/** From the heads' outputs to the bars: each link names what happens, with the sizes it has. */
const CHAIN = ['chain.heads', 'chain.residual', 'chain.blocks', 'chain.final', 'chain.logits', 'chain.softmax'];

export function mountStack(root) {
  const list = root.querySelector('#stack-list');
  const caption = root.querySelector('#stack-caption');
  const chain = root.querySelector('#chain');
  // One row per stage, made when first needed and then only updated (a keystroke moves the
  // focus token, and with it every stage's numbers).
  const rows = [];
  const stageRow = (i) => {
    if (rows[i]) return rows[i];
    const name = el('span', { className: 'stage-name' });
    const strip = createStrip('wide-strip');
    const norm = el('span', { className: 'stage-norm' });
    rows[i] = { li: el('li', {}, name, strip.node, norm), name, strip, norm };
    return rows[i];
  };
  const logitsName = el('span', { className: 'stage-name' });
  const logits = el('li', { className: 'stage stage-logits' }, logitsName);
  const legendItem = el('li', { className: 'stage-legend' });
  const links = [];
  const changed = changeTracker();
  const langChanged = changeTracker();
  return (state) => {
    const { stack, tokens, model } = state;
    if (!changed(stack, tokens, model, state.lang)) return;
    const tr = (key, params) => t(state.lang, key, params);
    if (!stack || !tokens || !model) { list.replaceChildren(); chain.replaceChildren(); caption.textContent = ''; return; }
    const focus = proseLabel(tokens.display[stack.token]);
    update(caption, { textContent: tr('stack.caption', { focus, c: stack.channels }) });
    // Layer norm rescales, so the final stage gets its own colour range.
    const limit = absMax(stack.stages.filter((s) => s.kind !== 'final').flatMap((s) => s.values));
    const items = stack.stages.map((stage, i) => {
      const row = stageRow(i);
      const label = tr(STAGE_LABEL[stage.kind], { layer: stage.layer + 1 });
      update(row.li, { className: `stage stage-${stage.kind}` });
      update(row.name, { textContent: label });
      row.strip.show(stage.values, stage.kind === 'final' ? absMax(stage.values) : limit, label);
      update(row.norm, { textContent: tr('stack.norm', { norm: fmt(stage.norm, 2) }) });
      return row.li;
    });
    // The bars of section 2 predict after the last token; at another focus token this is what
    // the model would say if the sentence stopped there.
    // The BERT-style model's logits at a position score what belongs at that position itself.
    const last = stack.token === tokens.ids.length - 1;
    const fill = Boolean(model.mask_token);
    const top = candidateLabel(stack.top.text, stack.top.partial, tr('tokens.part'));
    const logitsKey = fill ? 'stack.logits.fill' : last ? 'stack.logits' : 'stack.logits.here';
    update(logitsName, { textContent: tr(logitsKey, { top, focus }) });
    if (langChanged(state.lang)) legendItem.replaceChildren(legend('diverging', tr('legend.values'), '−', '+'));
    keepChildren(list, [...items, logits, legendItem]);

    const sizes = {
      nh: model.n_head, hs: model.head_size, c: model.n_embd, layers: model.n_layer, vocab: model.vocab_size, top,
    };
    const texts = [...CHAIN.map((key) => tr(key, sizes)), tr(fill ? 'chain.bars.fill' : last ? 'chain.bars' : 'chain.bars.here', { ...sizes, focus })];
    keepChildren(chain, texts.map((text, i) => update(links[i] ??= el('li', { className: i === CHAIN.length ? 'chain-end' : '' }), { textContent: text })));
  };
}
