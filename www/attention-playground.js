// <attention-playground>: the playground as one tag in a lesson.
//
//   <script type="module" src="…/attention-playground.js"></script>
//   <attention-playground text="小明 喜欢 苹果" view="steps" focus="喜欢" step="5"></attention-playground>
//
// Its markup is the page's own: the sections its `view` needs are cloned from index.html (next
// to this file) into a shadow root and styled by style.css and element.css, and the same views
// are mounted over them. Every widget on a page shares one engine (engine-client.js); each has
// its own state. Attributes set the state and may change at any time; what the learner changes
// is announced with a `statechange` event whose detail is the new state. A widget far from the
// viewport does no work; one removed from the page lets go of the engine.

import { createPlayground, DEFAULTS, DEFAULT_MODEL } from './app.js';
import { parseFields, URL_SCHEMA } from './url-state.js';
import { browserLanguage, t } from './i18n.js';
import { VIEW_SECTIONS } from './views/index.js';
import { keepOffline } from './offline.js';
import { stylesheet } from './stylesheet.js';

/** The views an author can choose (several may be given, space-separated). */
const VIEWS = [...Object.keys(VIEW_SECTIONS), 'full'];

/** The state a `statechange` event reports: what a shared link carries. */
const SHARED_FIELDS = Object.keys(URL_SCHEMA);
/**
 * Each state attribute and the field it sets: the field's name in kebab case (topK → top-k).
 * The model is chosen by the element's own `model` attribute (a name or a URL), not by `modelName`.
 */
const FIELD_OF = Object.fromEntries(SHARED_FIELDS.filter((field) => field !== 'modelName')
  .map((field) => [field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), field]));
const DARK = matchMedia('(prefers-color-scheme: dark)');
/** Start preparing a widget when it is within one viewport height of being seen. */
const NEAR = '100% 0px 100% 0px';

let markup = null;
/** index.html, parsed once per page (scripts in it stay inert). */
function pageMarkup() {
  markup ??= fetch(new URL('./index.html', import.meta.url)).then((response) => {
    if (!response.ok) throw new Error(`index.html: HTTP ${response.status}`);
    return response.text();
  }).then((html) => new DOMParser().parseFromString(html, 'text/html'));
  return markup;
}

/** The views named in a `view` attribute; unknown names are dropped, nothing left means full. */
function parseView(value) {
  const views = (value || '').split(/\s+/).filter((v) => VIEWS.includes(v));
  return views.length === 0 || views.includes('full') ? ['full'] : views;
}

/** A model name (a folder under models/ beside this file) or a URL of a model folder. */
function modelUrl(value) {
  if (!value) return DEFAULT_MODEL;
  if (/^[\w-]+$/.test(value)) return new URL(`./models/${value}/`, import.meta.url).href;
  const url = new URL(value, document.baseURI);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

export class AttentionPlayground extends HTMLElement {
  static observedAttributes = ['view', 'model', ...Object.keys(FIELD_OF)];

  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    this.playground = null;
    this.observer = null;
    this.building = null;
    this.builds = 0; // the latest build wins over one still waiting for the markup
    this.changedWhileBuilding = new Set();
    // The canvases are drawn in the scheme's colours: a new scheme draws them again.
    this.onSchemeChange = () => { if (this.playground) this.rebuild(); };
  }

  connectedCallback() {
    DARK.addEventListener('change', this.onSchemeChange);
    this.building ??= this.build();
  }

  disconnectedCallback() {
    // Moved within the page: connected again at once, keep everything.
    queueMicrotask(() => {
      if (this.isConnected) return;
      DARK.removeEventListener('change', this.onSchemeChange);
      this.teardown();
    });
  }

  attributeChangedCallback(name, before, after) {
    if (before === after) return;
    // While the markup loads, changes wait; the first build reads every attribute anyway.
    if (!this.playground) { if (this.building) this.changedWhileBuilding.add(name); return; }
    this.applyAttribute(name);
  }

  applyAttribute(name) {
    if (name === 'view') { this.rebuild(); return; }
    if (name === 'model') { this.playground.setModel(modelUrl(this.getAttribute('model'))); return; }
    const state = this.attributeState();
    if (name === 'backend') { this.playground.setBackend(state.backend ?? 'auto'); return; }
    const field = FIELD_OF[name];
    // A removed (or unusable) attribute means the default.
    const patch = { [field]: state[field] ?? (field === 'lang' ? browserLanguage() : DEFAULTS[field]) };
    // A new text keeps a focus word the author gave; otherwise the focus goes back to the last token.
    if (field === 'text' && state.focus != null) patch.focus = state.focus;
    this.playground.apply(patch);
  }

  /** The state the attributes ask for, checked like a link's parameters (by their link names). */
  attributeState() {
    const params = {};
    for (const [attribute, field] of Object.entries(FIELD_OF)) {
      if (this.hasAttribute(attribute)) params[URL_SCHEMA[field].name] = this.getAttribute(attribute);
    }
    return parseFields(params).state;
  }

  /**
   * The learner-visible state, as reported by `statechange`, in the attributes' terms: layers,
   * heads, tokens and steps count from 1, so a value can be set back as an attribute.
   */
  get state() {
    const s = this.storeState();
    if (!s) return null;
    const shown = (k) => (URL_SCHEMA[k].fromOne && typeof s[k] === 'number' ? s[k] + 1 : s[k]);
    return Object.fromEntries(SHARED_FIELDS.map((k) => [k, shown(k)]));
  }

  /** The shared fields as the store holds them (indices from 0), to rebuild with. */
  storeState() {
    const s = this.playground?.store.get();
    return s ? Object.fromEntries(SHARED_FIELDS.map((k) => [k, s[k]])) : null;
  }

  /** Resolves once the widget has drawn the engine's answer to its current state. */
  async settle() {
    await this.building;
    await this.playground?.settle();
  }

  async build(kept = null) {
    const build = ++this.builds;
    // The styles load inside the shadow root; the content stays hidden until they have.
    const root = document.createElement('div');
    root.className = 'playground';
    root.hidden = true;
    this.shadowRoot.replaceChildren(root);
    let page;
    try {
      [page] = await Promise.all([pageMarkup(), stylesheet(root, 'style.css'), stylesheet(root, 'element.css')]);
    } catch (error) {
      markup = null; // try again next time
      const message = document.createElement('p');
      message.setAttribute('role', 'alert');
      message.textContent = t(this.attributeState().lang ?? browserLanguage(), 'error.element', { message: error.message });
      this.shadowRoot.replaceChildren(message);
      return;
    }
    if (build !== this.builds || !this.isConnected) return;
    const views = parseView(this.getAttribute('view'));
    root.dataset.view = views.join(' ');
    const take = (selector) => document.importNode(page.querySelector(selector), true);
    const full = views.includes('full');
    const main = document.createElement('main');
    if (full) main.append(...Array.from(page.querySelectorAll('main > section'), (s) => document.importNode(s, true)));
    else main.append(...['tokens', ...views].filter((v, i, all) => all.indexOf(v) === i).map((v) => take(VIEW_SECTIONS[v][0])));
    root.append(...(full ? [take('header.top')] : []), take('#progress'), take('#error'), main, ...(full ? [take('footer.bottom')] : []));
    root.hidden = false;

    this.playground = createPlayground({
      root: this.shadowRoot,
      initial: kept ?? { ...this.attributeState(), modelName: this.getAttribute('model') === 'encoder' ? 'encoder' : 'default' },
      active: false,
      modelUrl: modelUrl(this.getAttribute('model')),
      onUserChange: () => this.dispatchEvent(new CustomEvent('statechange', { detail: this.state, bubbles: true, composed: true })),
    });
    const changed = [...this.changedWhileBuilding].filter((name) => name !== 'view' && kept);
    this.changedWhileBuilding.clear();
    for (const name of changed) this.applyAttribute(name);
    this.observer = new IntersectionObserver((entries) => {
      this.playground?.setActive(entries.at(-1).isIntersecting);
    }, { rootMargin: NEAR });
    this.observer.observe(this);
  }

  teardown() {
    this.builds++;
    this.observer?.disconnect();
    this.observer = null;
    this.playground?.destroy();
    this.playground = null;
    this.building = null;
  }

  /** A new view: the same state, other sections. */
  rebuild() {
    const kept = this.storeState();
    this.teardown();
    this.building = this.build(kept);
  }
}

if (!customElements.get('attention-playground')) customElements.define('attention-playground', AttentionPlayground);
keepOffline();
