// The lessons page (lessons.html): the table of contents, previous/next, where the learner is
// and what they have done (kept in localStorage), the link's state, the keyboard — around one
// chapter mounted by the shell (shell.js).
//
// The link: lessons.html?chapter=N&lang=zh|en&text=…&focus=…&model=…, and the chapter's own
// settings where its module declares them (link-fields.js). A link may be old, cut or
// edited by hand: a chapter that does not exist shows chapter 1, other unusable values are left
// out, and a note says so (as the playground does for its own links). Moving between chapters
// stays on the page (history.pushState), so the engine and its loaded models stay warm.

import { browserLanguage } from '../i18n.js';
import { parseFields, writeFields } from '../url-state.js';
import { el } from '../views/dom.js';
import { keepOffline } from '../offline.js';
import { CHAPTERS, LESSON_LANGUAGES, MODEL_NAMES, chapterNumber, loadChapter, mountLesson } from './shell.js';
import { lt } from './strings.js';

const STORAGE_KEY = 'attention-playground:lessons';
/** A typed sentence goes into the link once the learner pauses. */
const URL_PAUSE_MS = 250;
/** The link's own names; every other one may be a chapter's setting. */
const LINK_NAMES = ['chapter', 'lang', 'text', 'focus', 'model', 'embed'];
/** `embed=1`: one chapter inside another page (widget.js's iframe), without the page around it. */
const EMBEDDED = new URLSearchParams(location.search).get('embed') === '1';

/** What the learner has done: chapters visited, and each question's best answer so far. */
function readProgress() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || '{}');
    const visited = Array.isArray(saved.visited) ? saved.visited.filter((n) => chapterNumber(n) === n) : [];
    const answered = {};
    for (const [n, verdict] of Object.entries(saved.answered || {})) {
      if (chapterNumber(n) && ['right', 'wrong'].includes(verdict)) answered[n] = verdict;
    }
    return { visited, answered };
  } catch {
    return { visited: [], answered: {} };
  }
}

function saveProgress(progress) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(progress));
  } catch {
    // Private mode or storage turned off: the page works, it just forgets.
  }
}

/** The chapter, language and state a query string asks for, and notes on what it could not use. */
function readLink(search) {
  const map = {};
  for (const [name, value] of new URLSearchParams(search)) if (!Object.hasOwn(map, name)) map[name] = value;
  const notes = [];
  let number = 1;
  if (Object.hasOwn(map, 'chapter')) {
    number = chapterNumber(map.chapter);
    if (number == null) { notes.push({ key: 'notice.chapter', raw: map.chapter }); number = 1; }
  }
  let lang = browserLanguage();
  if (Object.hasOwn(map, 'lang')) {
    if (LESSON_LANGUAGES.includes(map.lang)) lang = map.lang;
    else notes.push({ key: 'notice.field', name: 'lang', raw: map.lang });
  }
  if (Object.hasOwn(map, 'embed') && !['0', '1'].includes(map.embed)) notes.push({ key: 'notice.field', name: 'embed', raw: map.embed });
  const fields = {};
  for (const name of ['text', 'focus']) if (Object.hasOwn(map, name)) fields[name] = map[name];
  const { state: given, notes: fieldNotes } = parseFields(fields);
  for (const note of fieldNotes) if (note.outcome === 'dropped') notes.push({ key: 'notice.field', name: note.name, raw: note.raw });
  if (Object.hasOwn(map, 'model')) {
    if (MODEL_NAMES.includes(map.model)) given.model = map.model;
    else notes.push({ key: 'notice.field', name: 'model', raw: map.model });
  }
  // The chapter's own settings: only its module knows them, so they are read once it is in.
  const extra = {};
  for (const [name, value] of Object.entries(map)) if (!LINK_NAMES.includes(name)) extra[name] = value;
  return { number, lang, given, extra, notes };
}

/** The link for a chapter: its state where it differs from the chapter's start. */
function writeLink(number, lang, state = null, initial = {}, fields = {}) {
  const params = new URLSearchParams({ chapter: String(number), lang });
  if (EMBEDDED) params.set('embed', '1');
  if (state) {
    const start = { text: '', model: 'default', focus: null, ...initial };
    if (state.text !== start.text) params.set('text', state.text);
    if (state.focus !== start.focus && state.focus != null) params.set('focus', String(typeof state.focus === 'number' ? state.focus + 1 : state.focus));
    if (state.model !== start.model) params.set('model', state.model);
    writeFields(params, state, initial, fields);
  }
  return `?${params}`;
}

const quote = (raw) => (Array.from(raw).length > 40 ? `${Array.from(raw).slice(0, 40).join('')}…` : raw);

function startLessons() {
  const $ = (id) => document.getElementById(id);
  const container = $('chapter');
  const tocList = $('toc-list');
  const note = $('link-note');
  const progress = readProgress();
  let current = null; // { number, lang, lesson }
  let urlTimer = 0;
  let notes = [];

  const tocLinks = CHAPTERS.map(({ number }) => {
    const link = el('a', { className: 'toc-link', dataset: { chapter: String(number) } },
      el('span', { className: 'toc-number' }), el('span', { className: 'toc-title' }), el('span', { className: 'toc-marks' }));
    link.addEventListener('click', (e) => follow(e, number));
    tocList.append(el('li', {}, link));
    return link;
  });
  for (const id of ['prev', 'next']) $(id).addEventListener('click', (e) => follow(e, Number(e.currentTarget.dataset.chapter)));
  note.querySelector('.link-note-dismiss').addEventListener('click', () => { note.hidden = true; notes = []; });

  /** A plain click moves within the page; a click that opens a new tab is the browser's. */
  function follow(event, number) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    go(number);
  }

  function go(number) {
    if (!chapterNumber(number) || number === current.number) return;
    notes = []; // what the first link could not use is no news on the next chapter
    history.pushState(null, '', writeLink(number, current.lang));
    show(number, current.lang, {}, { focusTitle: true });
  }

  function drawFrame(lang) {
    const tr = (key, params) => lt(lang, key, params);
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    for (const node of document.querySelectorAll('[data-l10n]')) node.textContent = tr(node.dataset.l10n);
    $('lang-switch').textContent = tr('lang.switch');
    $('lang-switch').setAttribute('aria-label', tr('lang.switch.label'));
    $('playground-link').href = `index.html?lang=${lang}`;
    if (EMBEDDED) {
      // The whole lessons, in a tab of their own, at this chapter.
      const full = new URL(location.href);
      full.searchParams.delete('embed');
      $('full-lessons').href = full.href;
    }
    note.hidden = notes.length === 0;
    note.querySelector('.link-note-text').textContent = notes.map((n) => tr(n.key, { ...n, raw: quote(n.raw), total: CHAPTERS.length }))
      .join(lang === 'zh' ? '' : ' ');
  }

  function drawToc() {
    const { number, lang } = current;
    const tr = (key) => lt(lang, key);
    CHAPTERS.forEach((entry, i) => {
      const link = tocLinks[i];
      link.href = writeLink(entry.number, lang);
      link.querySelector('.toc-number').textContent = `${entry.number}.`;
      link.querySelector('.toc-title').textContent = entry.title[lang];
      link.title = entry.title[lang];
      const answered = progress.answered[entry.number];
      const marks = [];
      if (progress.visited.includes(entry.number)) marks.push(['visited', '•', tr('toc.visited')]);
      if (answered) marks.push([answered, answered === 'right' ? '✓' : '?', tr(`toc.${answered}`)]);
      link.querySelector('.toc-marks').replaceChildren(...marks.map(([kind, sign, words]) => el('span', { className: `toc-mark ${kind}`, title: words },
        el('span', { ariaHidden: 'true', textContent: sign }), el('span', { className: 'visually-hidden', textContent: ` (${words})` }))));
      if (entry.number === number) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    });
    $('toc-summary').textContent = lt(lang, 'toc.summary', {
      visited: progress.visited.length, total: CHAPTERS.length, right: Object.values(progress.answered).filter((v) => v === 'right').length,
    });
    for (const [id, target, key] of [['prev', number - 1, 'prev'], ['next', number + 1, 'next']]) {
      const link = $(id);
      link.hidden = !chapterNumber(target);
      if (link.hidden) continue;
      link.dataset.chapter = String(target);
      link.href = writeLink(target, lang);
      link.textContent = lt(lang, key, { title: CHAPTERS[target - 1].title[lang] });
    }
    document.querySelector('.pager').setAttribute('aria-label', tr('toc.title'));
  }

  function keepInLink(state) {
    clearTimeout(urlTimer);
    const { number, lang } = current;
    urlTimer = setTimeout(async () => {
      let chapter = {};
      try { chapter = await loadChapter(number); } catch { /* the link keeps chapter and language */ }
      if (current.number !== number || current.lang !== lang) return;
      const url = writeLink(number, lang, state, chapter.initial, chapter.link);
      if (url !== location.search) history.replaceState(null, '', url);
    }, URL_PAUSE_MS);
  }

  function show(number, lang, given, { focusTitle = false, extra = {} } = {}) {
    clearTimeout(urlTimer);
    current?.lesson.destroy();
    current = { number, lang, lesson: null };
    drawFrame(lang);
    document.title = `${CHAPTERS[number - 1].title[lang]} · ${lt(lang, 'page.title')}`;
    current.lesson = mountLesson(container, {
      number,
      lang,
      given,
      link: extra,
      onLinkDropped(dropped) {
        notes.push(...dropped.map(({ name, raw }) => ({ key: 'notice.field', name, raw })));
        drawFrame(lang);
      },
      onStateChange: keepInLink,
      onAnswer(correct) {
        if (progress.answered[number] !== 'right') progress.answered[number] = correct ? 'right' : 'wrong';
        saveProgress(progress);
        drawToc();
      },
    });
    if (!progress.visited.includes(number)) progress.visited.push(number);
    saveProgress(progress);
    drawToc();
    if (focusTitle) container.querySelector('.lesson-title').focus();
  }

  $('lang-switch').addEventListener('click', () => {
    const { number, lang, lesson } = current;
    const other = lang === 'zh' ? 'en' : 'zh';
    const kept = lesson.state();
    history.replaceState(null, '', writeLink(number, other, kept, {}));
    show(number, other, kept);
    keepInLink(kept);
  });

  window.addEventListener('popstate', () => {
    const link = readLink(location.search);
    show(link.number, link.lang, link.given, { focusTitle: true, extra: link.extra });
  });

  // ← / → (or Alt + ← / →) for the previous and next chapter, never taken from a place that
  // uses the arrows itself: a text field, a menu, a slider; nor, without Alt, from the chapter's
  // live view or the question's options.
  document.addEventListener('keydown', (e) => {
    if (EMBEDDED || !['ArrowLeft', 'ArrowRight'].includes(e.key) || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const target = e.composedPath()[0];
    if (target.closest?.('textarea, input, select, [contenteditable="true"], [role="slider"]')) return;
    if (!e.altKey && target.closest?.('.lesson-view, .lesson-options')) return;
    e.preventDefault();
    go(current.number + (e.key === 'ArrowRight' ? 1 : -1));
  });

  if (EMBEDDED) {
    document.body.classList.add('embed');
    // The host's widget.js sizes its iframe to the chapter (the playground's own message).
    if (window.parent !== window) {
      new ResizeObserver(() => {
        window.parent.postMessage({ type: 'attention-playground:height', height: document.documentElement.scrollHeight }, '*');
      }).observe(document.body);
    }
  }

  const link = readLink(location.search);
  notes = link.notes;
  if (link.notes.some((n) => n.key === 'notice.chapter')) history.replaceState(null, '', writeLink(link.number, link.lang, null));
  show(link.number, link.lang, link.given, { extra: link.extra });

  // For tests and the curious.
  window.__lessons = {
    get number() { return current.number; },
    get lang() { return current.lang; },
    state: () => current.lesson.state(),
    settle: () => current.lesson.settle(),
    progress: () => JSON.parse(JSON.stringify(progress)),
  };
}

startLessons();
keepOffline();
