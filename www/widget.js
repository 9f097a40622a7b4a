// Embeddable Attention Playground. A lesson author adds one line:
//
//   <script src="https://…/widget.js" data-text="小明 喜欢 苹果"></script>
//
// and gets the playground's compact view in an iframe right there, sized to its content. It
// needs no module scripts from the host (where they are allowed, <attention-playground> is the
// lighter choice). Optional attributes: data-lang="zh|en", data-mask="causal|bidirectional",
// data-layer, data-head, data-focus (a token's number from 1, or a word of the text: its last token),
// data-step, data-height (initial height in px).
//
// With data-chapter="1…7" it shows that chapter of the lessons instead (lessons.html), with
// data-lang, data-text, data-focus and data-model (default | encoder) as the chapter takes them:
//
//   <script src="https://…/widget.js" data-chapter="3" data-lang="zh"></script>

(() => {
  const script = document.currentScript;
  if (!script) return;
  // data-chapter: one lesson chapter (lessons.html) instead of the playground.
  const lesson = script.dataset.chapter != null;
  const page = new URL(lesson ? 'lessons.html' : 'index.html', script.src);
  page.searchParams.set('embed', '1');
  const attributes = lesson
    ? { chapter: 'chapter', lang: 'lang', text: 'text', focus: 'focus', model: 'model' }
    : { text: 'text', lang: 'lang', mask: 'mask', layer: 'layer', head: 'head', focus: 'focus', step: 'step' };
  for (const [data, param] of Object.entries(attributes)) {
    const value = script.dataset[data];
    if (value != null && value !== '') page.searchParams.set(param, value);
  }

  const frame = document.createElement('iframe');
  frame.src = page.href;
  frame.title = script.dataset.title || (lesson ? 'Attention Playground: a lesson' : 'Attention Playground');
  frame.loading = 'lazy';
  frame.style.cssText = 'width:100%;border:1px solid #d9d7d0;border-radius:10px;display:block;';
  frame.style.height = `${Number(script.dataset.height) || 720}px`;
  script.after(frame);

  // The page reports its height whenever it changes; only trust messages from this frame.
  window.addEventListener('message', (event) => {
    if (event.source !== frame.contentWindow || event.origin !== page.origin) return;
    const { type, height } = event.data || {};
    if (type === 'attention-playground:height' && Number.isFinite(height) && height > 0) {
      frame.style.height = `${Math.ceil(height) + 2}px`;
    }
  });
})();
