// www/ → a static site (called by scripts/build-site.sh, after the wasm is built).
//
// 1. Copy www/ (without wasm-bindgen's package files) and check that no HTML page carries an
//    inline script or inline style, which `script-src 'self'; style-src 'self'` would block.
// 2. Turn offline use on (offline.js) and write sw.js with the content hash of the build and the
//    files to precache: everything but the models other than the default one.
// 3. Report the raw and gzipped bytes of every file, and of the first load of index.html: the
//    files it references, followed through imports and `new URL(…, import.meta.url)`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** The first load's budget, gzipped, default model included (issue 14). */
export const FIRST_LOAD_LIMIT = 2_500_000;
const SKIP = new Set(['pkg/package.json', 'pkg/.gitignore', 'pkg/README.md']);
const MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'];

function listFiles(dir, base = dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.')) return [];
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full, base) : [path.relative(base, full).split(path.sep).join('/')];
  }).sort();
}

function checkStrictCsp(file, html) {
  const problems = [];
  for (const [, attributes, body] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (!/\bsrc=/.test(attributes) || body.trim()) problems.push('an inline <script>');
  }
  if (/<style\b/i.test(html)) problems.push('a <style> element');
  if (/\sstyle\s*=/i.test(html.replace(/<!--[\s\S]*?-->/g, '').replace(/<pre[\s\S]*?<\/pre>/gi, ''))) problems.push('a style="…" attribute');
  if (/\son[a-z]+\s*=/i.test(html.replace(/<pre[\s\S]*?<\/pre>/gi, ''))) problems.push('an inline event handler');
  if (/(src|href)\s*=\s*"(data:|https?:|\/\/|\/)/i.test(html.replace(/<pre[\s\S]*?<\/pre>/gi, ''))) problems.push('a URL that is not relative');
  if (problems.length) throw new Error(`${file}: ${problems.join(', ')} (blocked by a strict Content-Security-Policy, or not portable)`);
}

function replaceOnce(text, from, to, file) {
  if (!text.includes(from)) throw new Error(`${file}: expected to find ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

/** Files a file references by relative URL, as paths relative to the site root. */
function references(site, file) {
  const text = fs.readFileSync(path.join(site, file), 'utf8');
  const found = [];
  if (file.endsWith('.html')) {
    // A link (<a href>) is a page the reader may open, not part of this one's load.
    for (const [, url] of text.replace(/<a\b[^>]*>/gi, '').matchAll(/\s(?:src|href)="([^"#?]+)"/g)) found.push(url);
  } else if (file.endsWith('.js')) {
    for (const [, url] of text.matchAll(/(?:import|from)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) found.push(url);
    for (const [, url] of text.matchAll(/new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g)) found.push(url);
  }
  const dir = path.posix.dirname(file);
  return found.filter((url) => !/^[a-z]+:|^\/\//i.test(url)).flatMap((url) => {
    const target = path.posix.normalize(path.posix.join(dir, url));
    // A model folder: the worker fetches its three files.
    if (url.endsWith('/')) return MODEL_FILES.map((f) => `${target}${f}`).filter((f) => fs.existsSync(path.join(site, f)));
    return fs.existsSync(path.join(site, target)) ? [target] : [];
  });
}

/** index.html and everything it loads before the playground works (the worker's model included). */
function firstLoad(site, start = 'index.html') {
  const seen = new Set();
  const queue = [start];
  while (queue.length) {
    const file = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    // The page loads index.html, not the element's copy of it, nor the service worker's precache.
    if (file !== 'attention-playground.js' && file !== 'sw.js') queue.push(...references(site, file));
  }
  return [...seen].sort();
}

export function buildSite(www, out) {
  fs.rmSync(out, { recursive: true, force: true });
  const files = listFiles(www).filter((f) => !SKIP.has(f));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
    fs.copyFileSync(path.join(www, file), path.join(out, file));
    if (file.endsWith('.html')) checkStrictCsp(file, fs.readFileSync(path.join(out, file), 'utf8'));
  }
  const offline = path.join(out, 'offline.js');
  fs.writeFileSync(offline, replaceOnce(fs.readFileSync(offline, 'utf8'), 'const BUILT = false;', 'const BUILT = true;', 'offline.js'));

  const hashes = files.filter((f) => f !== 'sw.js').map((f) => `${crypto.createHash('sha256').update(fs.readFileSync(path.join(out, f))).digest('hex')}  ${f}`);
  const version = crypto.createHash('sha256').update(hashes.join('\n')).digest('hex').slice(0, 16);
  const precache = ['./', ...files.filter((f) => f !== 'sw.js' && (!f.startsWith('models/') || f.startsWith('models/default/')))];
  const sw = path.join(out, 'sw.js');
  let worker = fs.readFileSync(sw, 'utf8');
  worker = replaceOnce(worker, "const VERSION = 'dev';", `const VERSION = '${version}';`, 'sw.js');
  worker = replaceOnce(worker, 'const PRECACHE = [];', `const PRECACHE = ${JSON.stringify(precache, null, 2)};`, 'sw.js');
  fs.writeFileSync(sw, worker);

  const sizes = listFiles(out).map((file) => {
    const bytes = fs.readFileSync(path.join(out, file));
    return { file, raw: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
  });
  const bySize = new Map(sizes.map((s) => [s.file, s]));
  const sum = (list, key) => list.reduce((n, s) => n + s[key], 0);
  const loaded = firstLoad(out).map((f) => bySize.get(f));
  const report = {
    version,
    files: sizes,
    total: { raw: sum(sizes, 'raw'), gzip: sum(sizes, 'gzip') },
    firstLoad: { files: loaded.map((s) => s.file), raw: sum(loaded, 'raw'), gzip: sum(loaded, 'gzip'), limit: FIRST_LOAD_LIMIT },
  };
  fs.writeFileSync(path.join(out, 'size-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

function kb(n) {
  return `${(n / 1000).toFixed(1)} kB`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const [www, out] = process.argv.slice(2);
  const report = buildSite(path.resolve(www), path.resolve(out));
  const width = Math.max(...report.files.map((s) => s.file.length));
  console.log(`${'file'.padEnd(width)}  ${'raw'.padStart(10)}  ${'gzip'.padStart(10)}`);
  for (const s of [...report.files].sort((a, b) => b.gzip - a.gzip)) {
    console.log(`${s.file.padEnd(width)}  ${kb(s.raw).padStart(10)}  ${kb(s.gzip).padStart(10)}`);
  }
  console.log(`${'all files'.padEnd(width)}  ${kb(report.total.raw).padStart(10)}  ${kb(report.total.gzip).padStart(10)}`);
  const first = report.firstLoad;
  console.log(`first load of index.html (${first.files.length} files, default model included): ${kb(first.raw)} raw, ${kb(first.gzip)} gzipped; budget ${kb(first.limit)}`);
  console.log(`wrote ${path.relative(process.cwd(), out) || '.'}/ (build ${report.version}) and its size-report.json`);
  if (first.gzip > first.limit) {
    console.error(`error: the first load is over its budget by ${kb(first.gzip - first.limit)}`);
    process.exit(1);
  }
}
