// A stylesheet for a custom element's shadow root (the files beside this one).

/** A <link> to `file` in `parent`, resolved once it has loaded or failed (unstyled beats invisible). */
export function stylesheet(parent, file) {
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = new URL(`./${file}`, import.meta.url).href;
  const loaded = new Promise((resolve) => {
    link.addEventListener('load', resolve, { once: true });
    link.addEventListener('error', resolve, { once: true });
  });
  parent.append(link);
  return loaded;
}
