// Starts satchel-server on a free loopback port with a fresh data directory.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const SERVER_BIN = resolve(process.env.SATCHEL_SERVER_BIN ?? 'target/debug/satchel-server');
export const WWW_DIR = resolve(process.env.SATCHEL_WWW_DIR ?? 'www/dist');

const READY = /Satchel is running at (http:\/\/127\.0\.0\.1:(\d+))\/?/;

/**
 * @returns {Promise<{ url: string, port: number, dataDir: string, log: () => string, stop: () => Promise<void> }>}
 * `url` has no trailing slash.
 */
export async function startServer({ timeoutMs = 30_000 } = {}) {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(`server binary not found at ${SERVER_BIN}; build it (cargo build -p satchel-server) or set SATCHEL_SERVER_BIN`);
  }
  if (!existsSync(join(WWW_DIR, 'index.html')) || !existsSync(join(WWW_DIR, 'sw.js'))) {
    throw new Error(`no built PWA in ${WWW_DIR}; run \`node www/build.mjs\` or set SATCHEL_WWW_DIR`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'satchel-e2e-'));
  const child = spawn(SERVER_BIN, ['--addr', '127.0.0.1:0', '--data-dir', dataDir, '--www-dir', WWW_DIR], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' },
  });
  let output = '';
  const keep = (chunk) => {
    output += chunk;
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stderr.setEncoding('utf8').on('data', keep);
  const exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));

  const lines = createInterface({ input: child.stdout });
  const started = new Promise((res, rej) => {
    lines.on('line', (line) => {
      keep(`${line}\n`);
      const m = READY.exec(line);
      if (m) res({ url: m[1], port: Number(m[2]) });
    });
    exited.then(({ code, signal }) => rej(new Error(`satchel-server exited early (code ${code}, signal ${signal}):\n${output}`)));
    setTimeout(() => rej(new Error(`satchel-server did not print its address within ${timeoutMs} ms:\n${output}`)), timeoutMs).unref();
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const { url, port } = await started;
    return { url, port, dataDir, log: () => output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
