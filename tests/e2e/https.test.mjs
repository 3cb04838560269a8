// A phone on the LAN (issue 15): over plain HTTP to the server's LAN address the page is not a
// secure context and sign-in fails for want of WebCrypto; over the server's own HTTPS (a
// `satchel-server dev-cert` certificate, accepted once, as a phone's user would) it signs in.

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { launchBrowser, PHONE } from './support/browser.mjs';
import { signIn } from './support/app.mjs';
import { SERVER_BIN, WWW_DIR } from './support/server.mjs';

/** The machine's first non-loopback IPv4 address, as a phone on the LAN would reach it. */
function lanAddress() {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

/** Starts the server on all interfaces with `args`; resolves its HTTPS port. */
function startServer(dir, args) {
  const child = spawn(SERVER_BIN, ['--addr', '0.0.0.0:0', '--data-dir', join(dir, 'data'), '--www-dir', WWW_DIR, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  const port = new Promise((res, rej) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /Satchel is running at https?:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (m) res(Number(m[1]));
    });
    child.once('exit', (code) => rej(new Error(`satchel-server exited (${code})`)));
  });
  return { child, port };
}

test('https: a phone on the LAN signs in over the server\'s own HTTPS, and not over plain HTTP', { timeout: 180_000 }, async (t) => {
  const lan = lanAddress();
  if (!lan) {
    t.skip('this machine has no LAN address to reach the server by (only loopback, which is a secure context anyway)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'satchel-https-'));
  const browser = await launchBrowser();
  const servers = [];
  try {
    execFileSync(SERVER_BIN, ['dev-cert', '--out', join(dir, 'tls')]);
    // Plain HTTP first: the LAN address is not a secure context, sign-in cannot work.
    const plain = startServer(dir, []);
    servers.push(plain.child);
    const plainPort = await plain.port;
    const httpPhone = await browser.newContext(PHONE);
    const page = await httpPhone.newPage();
    await page.goto(`http://${lan}:${plainPort}/`);
    assert.equal(await page.evaluate(() => window.isSecureContext), false, 'plain HTTP on the LAN is not a secure context');
    await httpPhone.close();
    plain.child.kill('SIGTERM');

    // HTTPS with the development certificate (accepted once by the user: ignoreHTTPSErrors).
    const secure = startServer(dir, ['--tls-cert', join(dir, 'tls', 'cert.pem'), '--tls-key', join(dir, 'tls', 'key.pem')]);
    servers.push(secure.child);
    const port = await secure.port;
    const phone = await browser.newContext({ ...PHONE, ignoreHTTPSErrors: true });
    const p = await phone.newPage();
    const errors = [];
    p.on('pageerror', (e) => errors.push(e.message));
    const res = await p.goto(`https://${lan}:${port}/`);
    assert.match(res.headers()['strict-transport-security'] ?? '', /^max-age=\d+/);
    assert.equal(await p.evaluate(() => window.isSecureContext && typeof crypto.subtle?.importKey === 'function'), true);
    await signIn(p, 'rep1', 'rep1-demo');
    assert.match((await p.getByTestId('user-name').textContent()) ?? '', /Amina/);
    assert.deepEqual(errors, []);
    await phone.close();
  } finally {
    await browser.close();
    for (const c of servers) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});
