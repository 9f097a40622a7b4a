// The frame around the views: static labels in the chosen language, the language switch,
// download progress, error messages, engine status and backend switch, and the compact
// embedded mode (which reports its height to the page that embeds it). Only the page (`page`)
// sets the document's title, language and embed mode; in an element the language is set on the
// element's own root, and parts the element leaves out (header, engine footer) are skipped.

import { t } from '../i18n.js';
import { update } from './dom.js';

const BACKEND_LABEL = { gpu: 'status.gpu', simd: 'status.simd', scalar: 'status.scalar' };

function byteSize(n) {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`;
}

/**
 * What a load's progress message from the engine says, and how far along the bar is (0–100):
 * the wasm, then the model's bytes, then starting the engine. `tr(key, params)` gives the labels
 * `load.wasm`, `load.model`, `load.model.unknown` and `load.start` (the lessons have their own).
 */
export function loadingProgress(loading, tr) {
  let text = tr('load.wasm');
  let fraction = 0.05;
  if (loading.phase === 'model') {
    text = loading.total
      ? tr('load.model', { done: byteSize(loading.done), total: byteSize(loading.total) })
      : tr('load.model.unknown', { done: byteSize(loading.done) });
    fraction = loading.total ? 0.1 + 0.8 * (loading.done / loading.total) : 0.5;
  } else if (loading.phase === 'start') {
    text = tr('load.start');
    fraction = 0.95;
  }
  return { text, percent: Math.round(fraction * 100) };
}

export function mountShell(root, actions, { page = true } = {}) {
  const $ = (sel) => root.querySelector(sel);
  const progress = $('#progress');
  const error = $('#error');
  const badge = $('#status-badge');
  const langSwitch = $('#lang-switch');
  const engineStatus = $('#engine-status');
  const backend = $('#backend');
  const langRoot = page ? document.documentElement : root.firstElementChild;
  langSwitch?.addEventListener('click', () => {
    actions.set({ lang: lang === 'zh' ? 'en' : 'zh' });
  });
  error.querySelector('.error-retry').addEventListener('click', () => actions.retry());
  error.querySelector('.error-dismiss').addEventListener('click', () => actions.dismissError());
  backend?.addEventListener('change', (e) => actions.setBackend(e.target.value));
  // Only the page has it: an element's attributes are its author's, not a shared link.
  const linkNote = $('#link-note');
  linkNote?.querySelector('.link-note-dismiss').addEventListener('click', () => actions.dismissLinkNotes());

  let lang = null;
  let linkNotes = null;
  let linkNotesLang = null;
  let embedObserver = null;
  return (state) => {
    const tr = (key, params) => t(state.lang, key, params);
    if (lang !== state.lang) {
      lang = state.lang;
      langRoot.lang = lang === 'zh' ? 'zh-CN' : 'en';
      for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = tr(node.dataset.i18n);
      const input = $('#text-input');
      if (input) input.placeholder = tr('input.placeholder');
      if (langSwitch) {
        langSwitch.textContent = tr('lang.switch');
        langSwitch.setAttribute('aria-label', tr('lang.switch.label'));
      }
      if (page) document.title = tr('title');
    }

    if (page) document.body.classList.toggle('embed', state.embed);
    if (state.embed && !embedObserver && window.parent !== window) {
      embedObserver = new ResizeObserver(() => {
        window.parent.postMessage({ type: 'attention-playground:height', height: document.documentElement.scrollHeight }, '*');
      });
      embedObserver.observe(document.body);
    }
    if (state.embed) {
      const full = new URL(location.href);
      full.searchParams.delete('embed');
      $('#embed-open').href = full.href;
    }

    const loading = state.loading;
    update(progress, { hidden: !loading });
    if (loading) {
      const { text, percent } = loadingProgress(loading, tr);
      progress.querySelector('.progress-bar').style.width = `${percent}%`;
      progress.setAttribute('aria-valuenow', String(percent));
      progress.querySelector('.progress-text').textContent = text;
    }

    const problem = state.error || (state.lostDevice ? { kind: 'lost' } : null)
      || (state.restarted ? { kind: `restarted-${state.restarted}` } : null);
    update(error, { hidden: !problem });
    if (problem) {
      const key = {
        model: 'error.model', wasm: 'error.wasm', lost: 'error.lost',
        'restarted-crash': 'error.restarted.crash', 'restarted-hang': 'error.restarted.hang',
      }[problem.kind] || 'error.engine';
      error.querySelector('.error-text').textContent = tr(key, { message: problem.message || '' });
      error.querySelector('.error-retry').hidden = ['lost', 'restarted-crash', 'restarted-hang'].includes(problem.kind);
      error.dataset.kind = problem.kind;
    }

    if (linkNote && (linkNotes !== state.linkNotes || lang !== linkNotesLang)) {
      linkNotes = state.linkNotes;
      linkNotesLang = lang;
      linkNote.hidden = !linkNotes?.length;
      if (linkNotes?.length) {
        // The raw value is the link's, not ours: quoted short, and only ever as text.
        const quote = (raw) => (Array.from(raw).length > 40 ? `${Array.from(raw).slice(0, 40).join('')}…` : raw);
        const sentences = linkNotes.map((n) => (n.name === 'text'
          ? tr('link.cut', { max: Array.from(n.value).length })
          : tr(`link.${n.outcome}`, { name: n.name, raw: quote(n.raw), value: n.value })));
        // Chinese runs sentences together; English puts a space between them.
        linkNote.querySelector('.link-note-text').textContent = [...sentences, tr('link.rest')].join(lang === 'zh' ? '' : ' ');
      }
    }

    const status = state.status;
    if (!badge) return;
    update(badge, { textContent: status ? tr('status.backend', { backend: tr(BACKEND_LABEL[status.kind]) }) : tr('load.wasm') });
    update(badge.dataset, { backend: status ? status.kind : '' });
    const lines = [];
    if (status) {
      lines.push(tr('status.backend', { backend: tr(BACKEND_LABEL[status.kind]) }));
      // The engine's code in the reader's words; its own (English) sentence on hover.
      lines.push(tr(`status.why.${status.why}`));
      if (status.adapter) lines.push(tr('status.adapter', { adapter: status.adapter }));
    }
    if (state.ms != null) lines.push(tr('status.time', { ms: state.ms.toFixed(1) }));
    lines.push(tr('status.forwards', { n: state.forwards }));
    update(engineStatus, { textContent: lines.join(' · '), title: status?.reason || '' });
    update(backend, { value: state.backend });
  };
}
