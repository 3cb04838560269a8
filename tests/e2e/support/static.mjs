// A static file server on a free loopback port: the embedding examples (examples/) served the way
// an integrator's site serves them, with the packaged @satchel/engine (dist/npm) at
// /node_modules/@satchel/engine/. Only the packaged files are reachable: nothing from www/ or
// target/.

import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

export const EXAMPLES_DIR = resolve('examples');
export const PACKAGE_DIR = resolve(process.env.SATCHEL_PACKAGE_DIR ?? 'dist/npm');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8',
};

/** The file under `root` that `path` names, or null (never outside `root`). */
function within(root, path) {
  const file = normalize(join(root, decodeURIComponent(path)));
  if (file !== root && !file.startsWith(root + sep)) return null;
  if (existsSync(file) && statSync(file).isDirectory()) return existsSync(join(file, 'index.html')) ? join(file, 'index.html') : null;
  return existsSync(file) ? file : null;
}

/**
 * @param {{ mounts?: Array<[string, string]> }} [options] `[url prefix, directory]` pairs, the
 *   longest prefix first; default: the package and the examples.
 * @returns {Promise<{ url: string, origin: string, requests: string[], stop: () => Promise<void> }>}
 */
export async function startStatic({ mounts } = {}) {
  if (!existsSync(join(PACKAGE_DIR, 'package.json'))) {
    throw new Error(`no package in ${PACKAGE_DIR}; run ./build.sh package`);
  }
  const table = mounts ?? [['/node_modules/@satchel/engine/', PACKAGE_DIR], ['/', EXAMPLES_DIR]];
  const requests = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    requests.push(path);
    const mount = table.find(([prefix]) => path.startsWith(prefix));
    const file = mount && within(mount[1], path.slice(mount[0].length));
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    origin,
    requests,
    stop: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
