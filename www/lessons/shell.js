// The lessons' shell: the registry of the seven chapters, and one chapter mounted in a container
// (the lessons page's, or an <attention-lesson> element's shadow root) — its title and prose, the
// sentence box, the chapter's live view, its try-this buttons and its question.
//
// A chapter is a module (chapters/N-slug.js) that exports
//   { number, slug, css, text: {en, zh}, initial, tries, link?, mount(root, ctx) }
// (`link`: which of its state's fields a shared link may carry, and their ranges: link-fields.js)
// (see /work/brief/LESSONS-CONTRACT.md, repeated here where it matters):
// - `mount(root, ctx)` draws into the empty `root` and returns { update(state), destroy() }. The
//   shell calls `update(state)` once right after mount and again after every change of state
//   (typing, a try-this button, ctx.setState). While one `update` runs, later changes wait and
//   only the newest state goes next, so typing never queues up work. `update` may return a
//   Promise: the shell (and the tests' settle()) waits for it, and shows its rejection as the
//   chapter's error.
// - `state` = { text, model, focus, ...the chapter's own fields }; `model` is a model name
//   ('default', 'encoder', 'rnn'); `focus` a word of the text, a 0-based token index, or null.
// - `ctx` = { lang, text (= the chapter's text[lang]), state (the first state), engine,
//   modelUrl(name), setState(partial), showError(error), signal }.
//   `ctx.engine.load(url)` loads a model (the shell shows the download's progress) and may be
//   called before every request: a loaded model answers at once, and after an engine restart it
//   loads again. `ctx.engine.call(method, args)` calls the worker's METHODS; requests naming
//   `args.model` keep that model loaded, so a chapter may show several models at once.
// Strings in paragraphs are plain text: `backticks` become <code>, **stars** <strong>, nothing
// else is markup (user-visible text is only ever set with textContent).

import { connectEngine } from '../engine-client.js';
import { el } from '../views/dom.js';
import { loadingProgress } from '../views/shell.js';
import { parseLinkFields } from './link-fields.js';
import { lt } from './strings.js';

/** The seven chapters in the order the study tells them; `title` is the table of contents' name. */
export const CHAPTERS = [
  { number: 1, slug: 'alignment', file: '1-alignment.js', title: { en: 'Attention is alignment', zh: '注意力就是对齐' } },
  { number: 2, slug: 'qkv', file: '2-qkv.js', title: { en: 'Q, K and V', zh: 'Q、K 和 V' } },
  { number: 3, slug: 'rnn', file: '3-rnn.js', title: { en: 'RNN vs attention', zh: 'RNN 与注意力' } },
  { number: 4, slug: 'layers', file: '4-layers.js', title: { en: 'Self-attention in layers', zh: '一层层的自注意力' } },
  { number: 5, slug: 'bert-gpt', file: '5-bert-gpt.js', title: { en: 'BERT and GPT', zh: 'BERT 与 GPT' } },
  { number: 6, slug: 'sampling', file: '6-sampling.js', title: { en: 'From scores to words', zh: '从分数到词语' } },
  { number: 7, slug: 'prompts', file: '7-prompts.js', title: { en: 'Prompts and in-context learning', zh: '提示与上下文学习' } },
];
export const LESSON_LANGUAGES = ['en', 'zh'];
/** The model folders a chapter may name in its state (www/models/<name>/). */
export const MODEL_NAMES = ['default', 'encoder', 'rnn'];

/** A chapter's number if `raw` names one (an integer 1 … 7 written plainly), else null. */
export function chapterNumber(raw) {
  const text = String(raw ?? '').trim();
  if (!/^\d{1,2}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= CHAPTERS.length ? n : null;
}

/** The absolute URL of a model folder by name. */
export function modelUrl(name) {
  if (!MODEL_NAMES.includes(name)) throw new Error(`unknown model “${name}” (known: ${MODEL_NAMES.join(', ')})`);
  return new URL(`../models/${name}/`, import.meta.url).href;
}

/** The playground's page with the same sentence (and model, focus and language). */
export function playgroundLink(state, lang) {
  const url = new URL('../index.html', import.meta.url);
  url.searchParams.set('lang', lang);
  if (state.text) url.searchParams.set('text', state.text);
  if (state.model === 'encoder') url.searchParams.set('model', 'encoder');
  if (typeof state.focus === 'string' && state.focus) url.searchParams.set('focus', state.focus);
  if (typeof state.focus === 'number') url.searchParams.set('focus', String(state.focus + 1));
  return url.href;
}

const modules = new Map();
const attempts = new Map();
/**
 * The chapter's module, checked against the interface; imported once. A failed one is imported
 * again when asked again, under a new URL: the browser keeps each URL's module, good or bad.
 */
export function loadChapter(number) {
  const entry = CHAPTERS[number - 1];
  let loading = modules.get(number);
  if (!loading) {
    const attempt = (attempts.get(number) ?? 0) + 1;
    attempts.set(number, attempt);
    const url = new URL(`./chapters/${entry.file}`, import.meta.url);
    if (attempt > 1) url.searchParams.set('attempt', String(attempt));
    loading = import(url.href).then(({ default: chapter }) => {
      const problems = [];
      if (!chapter || typeof chapter !== 'object') problems.push('it has no default export');
      else {
        if (chapter.number !== number) problems.push(`its number is ${chapter.number}, not ${number}`);
        if (typeof chapter.mount !== 'function') problems.push('it has no mount()');
        for (const lang of LESSON_LANGUAGES) {
          if (!chapter.text?.[lang]?.title) problems.push(`it has no ${lang} title`);
        }
      }
      if (problems.length) throw new Error(`chapters/${entry.file}: ${problems.join('; ')}`);
      return chapter;
    });
    modules.set(number, loading);
    loading.catch(() => modules.delete(number));
  }
  return loading;
}

/** Plain text with `code` and **strong** spans, as DOM nodes (never parsed as HTML). */
export function richText(text) {
  return String(text).split(/(`[^`]+`|\*\*[^*]+\*\*)/).filter(Boolean).map((part) => {
    if (part.startsWith('`') && part.endsWith('`') && part.length > 1) return el('code', { textContent: part.slice(1, -1) });
    if (part.startsWith('**') && part.endsWith('**') && part.length > 4) return el('strong', { textContent: part.slice(2, -2) });
    return document.createTextNode(part);
  });
}

/**
 * The engine as a chapter sees it: one client per model it loads (a client shows one model, and
 * the shared engine frees a model no client shows), progress reported while a model downloads.
 */
function lessonEngine({ onProgress, onRestart }) {
  const clients = new Map();
  let restartQueued = false;
  const restarted = () => {
    // Every client hears of the same restart: the view is asked again once.
    if (restartQueued) return;
    restartQueued = true;
    queueMicrotask(() => { restartQueued = false; onRestart(); });
  };
  const clientFor = (url) => {
    if (!clients.has(url)) clients.set(url, connectEngine({ onRestart: restarted }));
    return clients.get(url);
  };
  let loads = 0;
  return {
    async load(url, prefer = null) {
      loads++;
      try {
        return await clientFor(url).load(url, prefer, onProgress);
      } finally {
        if (--loads === 0) onProgress(null);
      }
    },
    call: (method, args = {}) => clientFor(args.model ?? '').call(method, args),
    release() {
      for (const client of clients.values()) client.release();
      clients.clear();
    },
  };
}

let mounted = 0;

/**
 * Mount chapter `number` in `container`, in `lang`, starting from the chapter's initial state
 * with `given` over it (a shared link's text, an element's attributes) and the chapter's own
 * settings read from `link` (query parameters by name, checked by the module's `link` spec;
 * `onLinkDropped([{name, raw}])` hears of those it refused). `onStateChange(state)`
 * follows every change; `onAnswer(correct)` each answer to the question.
 * Returns { state(), setState(patch), settle(), destroy() }.
 */
export function mountLesson(container, { number, lang, given = {}, link = {}, onLinkDropped = () => {}, onStateChange = () => {}, onAnswer = () => {} }) {
  const id = `lesson-${++mounted}`;
  const entry = CHAPTERS[number - 1];
  const tr = (key, params) => lt(lang, key, params);
  const abort = new AbortController();

  const where = el('p', { className: 'lesson-where', textContent: tr('where', { n: number, total: CHAPTERS.length }) });
  const title = el('h2', { className: 'lesson-title', id: `${id}-title`, tabIndex: -1, textContent: entry.title[lang] });
  const prose = el('div', { className: 'lesson-prose' });
  const progressBar = el('div', { className: 'progress-bar' });
  const progressText = el('p', { className: 'progress-text' });
  const progress = el('div', { className: 'lesson-progress', role: 'progressbar', ariaValuemin: '0', ariaValuemax: '100', hidden: true }, progressBar, progressText);
  const errorText = el('p', { className: 'error-text' });
  const retry = el('button', { type: 'button', className: 'error-retry', textContent: tr('error.retry'), hidden: true });
  const error = el('div', { className: 'lesson-error error', role: 'alert', hidden: true },
    el('strong', { textContent: tr('error.title') }), errorText, retry);
  const textBox = el('textarea', { id: `${id}-text`, rows: 2, spellcheck: false, autocomplete: 'off', className: 'lesson-text' });
  const openLink = el('a', { className: 'lesson-open', textContent: tr('open.playground') });
  const viewRoot = el('div', { className: 'lesson-view' });
  // Shown once the chapter's module is in: a sentence box with no chapter behind it would mislead.
  const live = el('section', { className: 'lesson-live card', ariaLabel: entry.title[lang], hidden: true },
    el('label', { htmlFor: textBox.id, textContent: tr('text.label') }), textBox,
    el('p', { className: 'lesson-open-line' }, openLink), progress, viewRoot);
  const tries = el('div', { className: 'lesson-tries', hidden: true },
    el('h3', { textContent: tr('tries.title') }), el('div', { className: 'lesson-try-buttons' }));
  const questionPrompt = el('p', { className: 'lesson-question-prompt', id: `${id}-question` });
  const options = el('div', { className: 'lesson-options', role: 'group', ariaLabelledby: questionPrompt.id });
  const feedback = el('p', { className: 'lesson-feedback', ariaLive: 'polite' });
  const question = el('section', { className: 'lesson-question', hidden: true, ariaLabelledby: `${id}-question-title` },
    el('h3', { id: `${id}-question-title`, textContent: tr('question.title') }), questionPrompt, options, feedback);
  const article = el('article', { className: 'lesson', ariaLabelledby: title.id, dataset: { chapter: String(number) } },
    where, title, prose, error, live, tries, question);
  container.replaceChildren(article);

  let chapter = null;
  let view = null;
  let state = { text: '', model: 'default', focus: null, ...given };
  let running = null;
  let again = false;
  let loading = null;

  const showError = (problem, key = 'error.view') => {
    if (abort.signal.aborted) return;
    errorText.textContent = tr(key, { n: number, message: problem?.message ?? String(problem) });
    error.hidden = false;
  };
  const clearError = () => { error.hidden = true; retry.hidden = true; };

  const engine = lessonEngine({
    onProgress(p) {
      if (abort.signal.aborted) return;
      progress.hidden = !p;
      if (!p) return;
      const { text, percent } = loadingProgress(p, tr);
      progressBar.style.width = `${percent}%`;
      progress.setAttribute('aria-valuenow', String(percent));
      progressText.textContent = text;
    },
    onRestart() { refresh(); },
  });

  /** Ask the view to draw the newest state; one request at a time. */
  function refresh() {
    if (!view || abort.signal.aborted) return running;
    if (running) { again = true; return running; }
    clearError();
    running = (async () => {
      try {
        await view.update({ ...state });
      } catch (problem) {
        // A replaced worker is not the learner's problem: the restart asks the view again.
        if (problem?.kind !== 'restarted') showError(problem);
      }
    })().finally(() => {
      running = null;
      if (again) { again = false; refresh(); }
    });
    return running;
  }

  function setState(patch) {
    // Before the chapter's module is in, a change joins the state it will start from.
    if (!chapter) { given = { ...given, ...patch }; return; }
    const next = { ...state, ...patch };
    if ('text' in patch && patch.text !== state.text && !('focus' in patch)) {
      // A word the learner focused stays focused while it is still in the sentence.
      next.focus = typeof state.focus === 'string' && next.text.includes(state.focus) ? state.focus : null;
    }
    state = next;
    if (textBox.value !== state.text) textBox.value = state.text;
    openLink.href = playgroundLink(state, lang);
    onStateChange({ ...state });
    refresh();
  }

  textBox.addEventListener('input', () => setState({ text: textBox.value }));

  function fill(loaded) {
    chapter = loaded;
    const text = chapter.text[lang];
    title.textContent = text.title;
    live.setAttribute('aria-label', text.title);
    prose.replaceChildren(...(text.paragraphs ?? []).map((p) => el('p', {}, ...richText(p))));
    const buttons = tries.querySelector('.lesson-try-buttons');
    buttons.replaceChildren(...(chapter.tries ?? []).map((patch, i) => {
      const button = el('button', { type: 'button', className: 'lesson-try', dataset: { try: String(i) } }, ...richText(text.tries?.[i] ?? `#${i + 1}`));
      button.addEventListener('click', () => setState(patch));
      return button;
    }));
    tries.hidden = buttons.children.length === 0;
    const q = text.question;
    question.hidden = !q;
    if (q) {
      questionPrompt.replaceChildren(...richText(q.prompt));
      options.replaceChildren(...q.options.map((option, i) => {
        const button = el('button', { type: 'button', className: 'lesson-option', ariaPressed: 'false', dataset: { option: String(i) } }, ...richText(option.label));
        button.addEventListener('click', () => {
          for (const other of options.children) { other.setAttribute('aria-pressed', 'false'); delete other.dataset.verdict; }
          button.setAttribute('aria-pressed', 'true');
          button.dataset.verdict = option.correct ? 'right' : 'wrong';
          feedback.dataset.verdict = button.dataset.verdict;
          feedback.replaceChildren(el('strong', { textContent: tr(option.correct ? 'question.right' : 'question.wrong') }), ' ',
            ...richText(option.feedback ?? ''), ...(option.correct ? [] : [' ', tr('question.again')]));
          onAnswer(Boolean(option.correct));
        });
        return button;
      }));
    }
    const fromLink = parseLinkFields(chapter.link, link);
    if (fromLink.dropped.length) onLinkDropped(fromLink.dropped);
    state = { text: '', model: 'default', focus: null, ...chapter.initial, ...fromLink.values, ...given };
    textBox.value = state.text;
    openLink.href = playgroundLink(state, lang);
    live.hidden = false;
    if (chapter.css) {
      article.prepend(el('link', { rel: 'stylesheet', href: new URL(`./chapters/${entry.file.replace(/\.js$/, '.css')}`, import.meta.url).href }));
    }
    const ctx = {
      lang,
      text,
      state: { ...state },
      engine,
      modelUrl,
      setState: (partial) => { if (!abort.signal.aborted) setState(partial); },
      showError: (problem) => showError(problem),
      signal: abort.signal,
    };
    try {
      view = chapter.mount(viewRoot, ctx);
    } catch (problem) {
      showError(problem);
      return;
    }
    refresh();
  }

  function start() {
    clearError();
    loading = loadChapter(number).then((loaded) => {
      if (!abort.signal.aborted) fill(loaded);
    }, (problem) => {
      showError(problem, 'error.module');
      retry.hidden = false;
    }).finally(() => { loading = null; });
  }
  retry.addEventListener('click', start);
  start();

  return {
    state: () => ({ ...state }),
    setState,
    /** Resolves once the chapter's module is in and its view has drawn the newest state. */
    async settle() {
      while (loading || running) await (loading || running);
    },
    destroy() {
      abort.abort();
      try { view?.destroy?.(); } catch { /* the view is going away anyway */ }
      view = null;
      engine.release();
      container.replaceChildren();
    },
  };
}
