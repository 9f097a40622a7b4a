// Embeddable Attention Playground. A lesson author adds one line:
//
//   <script src="https://…/widget.js" data-text="小明 喜欢 苹果"></script>
//
// and gets the playground's compact view in an iframe right there, sized to its content. It
// needs no module scripts from the host (where they are allowed, <attention-playground> is the
// lighter choice). Optional attributes: data-lang="zh|en", data-mask="causal|bidirectional",
// data-layer, data-head, data-focus (a token's number from 1, or a word of the text: its last token),
// data-step, data-height (initial height in px).

(() => {
  const script = document.currentScript;
  if (!script) return;
  const page = new URL('index.html', script.src);
  page.searchParams.set('embed', '1');
  const attributes = { text: 'text', lang: 'lang', mask: 'mask', layer: 'layer', head: 'head', focus: 'focus', step: 'step' };
  for (const [data, param] of Object.entries(attributes)) {
    const value = script.dataset[data];
    if (value != null && value !== '') page.searchParams.set(param, value);
  }

  const frame = document.createElement('iframe');
  frame.src = page.href;
  frame.title = script.dataset.title || 'Attention Playground';
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
