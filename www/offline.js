// Offline use of a built site: scripts/build-site.sh turns BUILT on in dist/ and writes sw.js, a
// service worker that keeps every file of that build in a cache named by their content hashes.
// In www/ (development) nothing is registered, so an edited file is always served fresh.

const BUILT = false;

export function keepOffline() {
  if (!BUILT || !('serviceWorker' in navigator)) return;
  // Its scope is its folder: the site and the example pages beside it.
  navigator.serviceWorker.register(new URL('./sw.js', import.meta.url)).catch((error) => {
    console.warn(`Attention Playground will not work offline here: ${error.message}`);
  });
}
