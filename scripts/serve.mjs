// A small static server for www/ on 127.0.0.1 (no dependencies): correct MIME types for .wasm
// and ES modules, no caching (but ETags, so a revalidation is cheap), gzip when the browser asks.
// Used by `scripts/serve.sh` and by the browser tests (import { serve } from './serve.mjs'),
// which may serve a folder under a sub-path (`base: '/course/ai/'`) with extra `headers`, as a
// static host with a Content-Security-Policy would.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.md': 'text/markdown; charset=utf-8',
  '.safetensors': 'application/octet-stream', '.ico': 'image/x-icon',
};

/**
 * Serve `root` under the path prefix `base` with `headers` added to every answer. For tests:
 * `onRequest(path)` sees every request's path, and `override(path)` may answer one instead of the
 * file, with { status = 200, body } (e.g. a broken model file).
 */
export function serve({ root, host = '127.0.0.1', port = 0, base: prefix = '/', headers: extra = {}, onRequest, override }) {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    onRequest?.(rel);
    const answer = override?.(rel);
    if (answer) {
      const body = Buffer.from(answer.body ?? '');
      res.writeHead(answer.status ?? 200, { ...extra, 'content-length': body.length, 'cache-control': 'no-cache' }).end(body);
      return;
    }
    if (!rel.startsWith(prefix)) { res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${rel}`); return; }
    let file = path.join(base, rel.slice(prefix.length));
    if (!file.startsWith(base)) { res.writeHead(403).end('forbidden'); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (err, body) => {
      if (err) { res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${rel}`); return; }
      const etag = `"${body.length.toString(36)}-${fs.statSync(file).mtimeMs.toString(36)}"`;
      const headers = {
        ...extra,
        'content-type': MIME[path.extname(file)] || 'application/octet-stream',
        'cache-control': 'no-cache',
        etag,
      };
      if (req.headers['if-none-match'] === etag) { res.writeHead(304, headers).end(); return; }
      if (/\bgzip\b/.test(req.headers['accept-encoding'] || '') && body.length > 1024) {
        body = zlib.gzipSync(body);
        headers['content-encoding'] = 'gzip';
      }
      headers['content-length'] = body.length;
      res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : body);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolve({ server, url: `http://${host}:${actual}${prefix}` });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] || 'www';
  const port = Number(process.env.PORT || 8080);
  const { url } = await serve({ root, port });
  console.log(`Attention Playground: ${url}   (Ctrl-C to stop)`);
}
