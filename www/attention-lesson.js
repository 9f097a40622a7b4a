// <attention-lesson>: one chapter of the lessons as one tag in someone else's page.
//
//   <script type="module" src="…/attention-lesson.js"></script>
//   <attention-lesson chapter="2" lang="zh" text="小明 喜欢 苹果" focus="喜欢" model="encoder"></attention-lesson>
//
// The chapter is the lessons page's own (lessons/shell.js mounts it: prose, sentence box, live
// view, try-this buttons, question), in a shadow root styled by style.css and lessons.css. Every
// lesson and playground element on a page shares one engine (engine-client.js). `chapter` is
// 1 … 7; `lang` en | zh (default: the browser's); `text`, `focus` (a word of the text or a token
// number from 1) and `model` (default | encoder | rnn) set the chapter's state over its start and
// may change at any time. A value that cannot be used is said so in the element, not ignored.
// What the learner changes is announced with a `statechange` event (detail: the state). An
// element prepares itself only once it is near the viewport, and lets go of the engine when removed.

import { browserLanguage } from './i18n.js';
import { parseFields } from './url-state.js';
import { CHAPTERS, LESSON_LANGUAGES, MODEL_NAMES, chapterNumber, mountLesson } from './lessons/shell.js';
import { lt } from './lessons/strings.js';
import { keepOffline } from './offline.js';
import { stylesheet } from './stylesheet.js';

/** Start preparing a lesson when it is within one viewport height of being seen. */
const NEAR = '100% 0px 100% 0px';
const STATE_ATTRIBUTES = ['text', 'focus', 'model'];

export class AttentionLesson extends HTMLElement {
  static observedAttributes = ['chapter', 'lang', ...STATE_ATTRIBUTES];

  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    this.lesson = null;
    this.observer = null;
    this.building = null;
    this.builds = 0;
  }

  connectedCallback() {
    if (this.observer) return;
    this.observer = new IntersectionObserver((entries) => {
      if (entries.at(-1).isIntersecting && !this.building) this.building = this.build();
    }, { rootMargin: NEAR });
    this.observer.observe(this);
  }

  disconnectedCallback() {
    // Moved within the page: connected again at once, keep everything.
    queueMicrotask(() => { if (!this.isConnected) this.teardown(); });
  }

  attributeChangedCallback(name, before, after) {
    if (before === after || !this.building) return;
    if (name === 'chapter') { this.rebuild(null); return; }
    if (name === 'lang') { this.rebuild(this.lesson?.state() ?? null); return; }
    const { given, problem } = this.read();
    // A removed attribute (or one that cannot be used) starts the chapter again from its attributes.
    if (problem || !this.lesson || after === null) { this.rebuild(null); return; }
    this.lesson.setState({ [name]: given[name] });
  }

  get lang() {
    const asked = this.getAttribute('lang');
    return LESSON_LANGUAGES.includes(asked) ? asked : browserLanguage();
  }

  /** The chapter, language and state the attributes ask for, or the first problem with them. */
  read() {
    const lang = this.lang;
    const raw = this.getAttribute('chapter');
    const number = chapterNumber(raw);
    if (number == null) return { problem: lt(lang, 'element.chapter', { raw: raw ?? '', total: CHAPTERS.length }) };
    if (this.hasAttribute('lang') && !LESSON_LANGUAGES.includes(this.getAttribute('lang'))) {
      return { problem: lt(lang, 'element.lang', { raw: this.getAttribute('lang') }) };
    }
    const fields = {};
    for (const name of ['text', 'focus']) if (this.hasAttribute(name)) fields[name] = this.getAttribute(name);
    const { state: given, notes } = parseFields(fields);
    const dropped = notes.find((n) => n.outcome === 'dropped');
    if (dropped) return { problem: lt(lang, 'notice.field', { name: dropped.name, raw: dropped.raw }) };
    if (this.hasAttribute('model')) {
      if (!MODEL_NAMES.includes(this.getAttribute('model'))) return { problem: lt(lang, 'notice.field', { name: 'model', raw: this.getAttribute('model') }) };
      given.model = this.getAttribute('model');
    }
    return { number, lang, given };
  }

  /** Resolves once the chapter has drawn its current state. */
  async settle() {
    await this.building;
    await this.lesson?.settle();
  }

  /** The chapter's state as the learner left it (null before it is built). */
  get state() {
    return this.lesson?.state() ?? null;
  }

  async build(kept = null) {
    const build = ++this.builds;
    const root = document.createElement('div');
    root.className = 'lesson-element';
    root.hidden = true;
    this.shadowRoot.replaceChildren(root);
    await Promise.all([stylesheet(root, 'style.css'), stylesheet(root, 'lessons/lessons.css')]);
    if (build !== this.builds || !this.isConnected) return;
    root.hidden = false;
    const { number, lang, given, problem } = this.read();
    const container = document.createElement('div');
    root.append(container);
    if (problem) {
      container.append(Object.assign(document.createElement('p'), { className: 'lesson-message', textContent: problem }));
      container.firstChild.setAttribute('role', 'alert');
      return;
    }
    root.lang = lang === 'zh' ? 'zh-CN' : 'en';
    this.lesson = mountLesson(container, {
      number,
      lang,
      given: kept ?? given,
      onStateChange: (state) => this.dispatchEvent(new CustomEvent('statechange', { detail: state, bubbles: true, composed: true })),
    });
    await this.lesson.settle();
  }

  teardown() {
    this.builds++;
    this.observer?.disconnect();
    this.observer = null;
    this.lesson?.destroy();
    this.lesson = null;
    this.building = null;
  }

  rebuild(kept) {
    this.lesson?.destroy();
    this.lesson = null;
    this.building = this.build(kept);
  }
}

if (!customElements.get('attention-lesson')) customElements.define('attention-lesson', AttentionLesson);
keepOffline();
