// Starts satchel-server on a free loopback port with a fresh data directory.
//
// The returned object can also take the process down and bring it back on the same port and the
// same data directory (`restart`, or `halt` + `resume`), so a proxy pointed at `url` stays valid
// across a server restart.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const SERVER_BIN = resolve(process.env.SATCHEL_SERVER_BIN ?? 'target/debug/satchel-server');
export const WWW_DIR = resolve(process.env.SATCHEL_WWW_DIR ?? 'www/dist');

const READY = /Satchel is running at (http:\/\/127\.0\.0\.1:(\d+))\/?/;

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/**
 * @param {{ timeoutMs?: number, dataDir?: string, port?: number, env?: Record<string, string>, wwwDir?: string }} [options]
 *   `dataDir`: use this data directory instead of a fresh temporary one (it is then not deleted
 *   on `stop()`); `port`: listen on this port instead of a free one; `env`: extra environment
 *   variables for the server process; `wwwDir`: serve this built PWA instead of `WWW_DIR` (the
 *   server reads its files on every request, so changing them is a deploy).
 * @returns {Promise<{
 *   url: string, port: number, dataDir: string, log: () => string, stop: () => Promise<void>,
 *   restart: (o?: { signal?: NodeJS.Signals, downtimeMs?: number }) => Promise<void>,
 *   halt: (o?: { signal?: NodeJS.Signals }) => Promise<void>, resume: () => Promise<void>,
 *   restarts: () => number, running: () => boolean,
 * }>}
 * `url` has no trailing slash. `restart()` stops the process (SIGTERM by default: graceful;
 * SIGKILL: a crash) and starts it again on the same port and data directory.
 */
export async function startServer({ timeoutMs = 30_000, dataDir: givenDataDir, port: givenPort = 0, env: extraEnv = {}, wwwDir = WWW_DIR } = {}) {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(`server binary not found at ${SERVER_BIN}; build it (cargo build -p satchel-server) or set SATCHEL_SERVER_BIN`);
  }
  if (!existsSync(join(wwwDir, 'index.html')) || !existsSync(join(wwwDir, 'sw.js'))) {
    throw new Error(`no built PWA in ${wwwDir}; run \`node www/build.mjs\` or set SATCHEL_WWW_DIR`);
  }
  const ownsDataDir = givenDataDir === undefined;
  const dataDir = givenDataDir ?? mkdtempSync(join(tmpdir(), 'satchel-e2e-'));
  let output = '';
  const keep = (chunk) => {
    output += chunk;
    if (output.length > 200_000) output = output.slice(-100_000);
  };

  /** The running process: { child, exited }, or null while halted. */
  let current = null;
  let restarts = 0;

  /** Spawns one server process on `port` (0: any) and waits for its address line. */
  const spawnOnce = async (port) => {
    const child = spawn(SERVER_BIN, ['--addr', `127.0.0.1:${port}`, '--data-dir', dataDir, '--www-dir', wwwDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info', ...extraEnv },
    });
    child.stderr.setEncoding('utf8').on('data', keep);
    const exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
    const proc = { child, exited };
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
    try {
      return { proc, ...(await started) };
    } catch (err) {
      await killProc(proc, 'SIGKILL');
      throw err;
    }
  };

  const killProc = async ({ child, exited }, signal) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };

  // One lifecycle operation at a time (a restart racing the cleanup's stop, say).
  let queue = Promise.resolve();
  const serialized = (fn) => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };

  let stopped = false;
  let port = givenPort;

  const halt = ({ signal = 'SIGTERM' } = {}) =>
    serialized(async () => {
      if (!current) return;
      const proc = current;
      current = null;
      keep(`--- e2e: stopping satchel-server with ${signal} ---\n`);
      await killProc(proc, signal);
    });

  const resume = () =>
    serialized(async () => {
      if (stopped) throw new Error('the server was stopped for good');
      if (current) return;
      restarts += 1;
      keep(`--- e2e: starting satchel-server again on port ${port} (restart ${restarts}) ---\n`);
      // The old socket may linger for a moment; retry the bind a few times.
      for (let attempt = 1; ; attempt++) {
        const from = output.length;
        try {
          current = (await spawnOnce(port)).proc;
          return;
        } catch (err) {
          if (attempt >= 10 || !/in use/i.test(output.slice(from))) throw err;
          await sleep(200);
        }
      }
    });

  const restart = async ({ signal = 'SIGTERM', downtimeMs = 0 } = {}) => {
    await halt({ signal });
    if (downtimeMs > 0) await sleep(downtimeMs);
    await resume();
  };

  const stop = () =>
    serialized(async () => {
      if (stopped) return;
      stopped = true;
      if (current) {
        const proc = current;
        current = null;
        await killProc(proc, 'SIGTERM');
      }
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    });

  try {
    const first = await spawnOnce(port);
    current = first.proc;
    port = first.port;
    return {
      url: first.url,
      port: first.port,
      dataDir,
      log: () => output,
      stop,
      restart,
      halt,
      resume,
      restarts: () => restarts,
      running: () => current !== null,
    };
  } catch (err) {
    stopped = true;
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
