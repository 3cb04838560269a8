// A fault-injecting HTTP proxy on loopback, between the browser and the server. The page is
// loaded through it, so every API call of the page (and of its service worker) goes through it.
//
// Everything but `POST /api/v1/sync/push` is forwarded untouched. Push requests follow a
// programmable fault plan (`setPushPlan`), one step per push request:
//
//   pass           forward, answer with the server's answer
//   drop_request   never forward; read the request, then close the browser's connection abruptly
//   drop_response  forward, read the server's whole answer (so it has committed), then close the
//                  browser's connection without answering
//   duplicate      forward the same request twice, one after the other; answer with the second
//                  answer (the server sees a replay of a push it has just applied)
//   burst_5xx      answer 503 without forwarding (a step `{ mode: 'burst_5xx', times: n }` is a
//                  burst of n of them, one per push request)
//
// The schedule is a plain list, consumed either by every push in arrival order or per device
// (the `device_id` of the push body), then `then` applies: a mode, or `{ seed, weights }` for a
// seeded, reproducible random choice. `armRestart` lets a test crash and restart the server
// while pushes are in flight (see there). `counters` and `events` say what really happened.
//
// The older `dropNextPushResponses(n)` still works and takes precedence over the plan.

import http from 'node:http';

const isPush = (req) => req.method === 'POST' && (req.url ?? '').startsWith('/api/v1/sync/push');
/** One chunk of a photo upload: `PATCH /api/v1/blobs/<sha256>` with an `Upload-Offset` header. */
const isBlobChunk = (req) => req.method === 'PATCH' && /^\/api\/v1\/blobs\/[0-9a-f]{64}$/.test((req.url ?? '').split('?')[0]);

export const FAULT_MODES = /** @type {const} */ (['pass', 'drop_request', 'drop_response', 'duplicate', 'burst_5xx']);

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence of numbers in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of `items` in an order decided by `seed` (Fisher-Yates with mulberry32). */
export function seededShuffle(items, seed) {
  const random = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Expands `[mode | { mode, times }]` into one mode per push request. */
function expand(steps, burst) {
  const out = [];
  for (const step of steps ?? []) {
    const { mode, times } = typeof step === 'string' ? { mode: step, times: step === 'burst_5xx' ? burst : 1 } : step;
    if (!FAULT_MODES.includes(mode)) throw new Error(`unknown fault mode ${JSON.stringify(mode)}`);
    for (let i = 0; i < (times ?? 1); i++) out.push(mode);
  }
  return out;
}

/** A chooser for after the schedule: a fixed mode, or a seeded weighted draw. */
function chooser(then, salt) {
  if (typeof then === 'string' || then === undefined) {
    const mode = then ?? 'pass';
    if (!FAULT_MODES.includes(mode)) throw new Error(`unknown fault mode ${JSON.stringify(mode)}`);
    return () => mode;
  }
  const entries = Object.entries(then.weights ?? {}).filter(([, w]) => w > 0);
  for (const [mode] of entries) if (!FAULT_MODES.includes(mode)) throw new Error(`unknown fault mode ${JSON.stringify(mode)}`);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  if (total <= 0) return () => 'pass';
  const random = mulberry32((then.seed ?? 1) + salt);
  const cap = then.maxFaultsInARow ?? Infinity;
  let run = 0; // failing draws in a row
  return () => {
    let x = random() * total;
    let mode = entries[entries.length - 1][0];
    for (const [m, w] of entries) {
      if ((x -= w) < 0) {
        mode = m;
        break;
      }
    }
    if (FAILING.has(mode)) {
      run += 1;
      if (run > cap) {
        run = 0;
        return 'pass';
      }
    } else {
      run = 0;
    }
    return mode;
  };
}

/** The modes after which the browser has no answer (it must retry). */
const FAILING = new Set(['drop_request', 'drop_response', 'burst_5xx']);

const readAll = (stream) =>
  new Promise((res, rej) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => res(Buffer.concat(chunks)));
    stream.on('error', rej);
  });

/** @param {string} target the server's base URL, e.g. http://127.0.0.1:1234 */
export async function startProxy(target) {
  const upstream = new URL(target);
  const started = Date.now();
  const counters = {
    requests: 0,
    pushRequests: 0,
    pushResponsesDropped: 0,
    /** Statuses of the server's answers to forwarded pushes (both answers of a `duplicate`). */
    pushStatuses: [],
    /** Faults that really took effect, by mode (`pass`: answered normally). */
    fired: Object.fromEntries(FAULT_MODES.map((m) => [m, 0])),
    /** Steps taken from the plan, by mode (a step may not take effect, e.g. server down). */
    scheduled: Object.fromEntries(FAULT_MODES.map((m) => [m, 0])),
    /** Forwarded pushes the server did not answer (down, restarting): the browser got a 502. */
    upstreamErrors: 0,
    /** Server restarts driven by `armRestart`. */
    restart: { triggered: 0, completed: 0, held: 0, answeredBeforeCrash: 0, lostInCrash: 0, duringRestart: 0 },
    /** Device ids in the order their first push arrived (a device's index in `events`). */
    devices: [],
  };
  /** One line per push request: what the proxy did and what came of it. */
  const events = [];
  let dropPushResponses = 0;
  // Photo uploads: `blobPlan` says how many chunks pass before every further one fails.
  /** Every blob chunk request seen: `{ t, sha256, offset, bytes, outcome, status? }`. */
  const blobChunks = [];
  let blobPlan = null; // { pass: n, mode: 'drop_request' | 'burst_5xx' }
  let blobPassed = 0;
  const agent = new http.Agent({ keepAlive: true });

  // The fault plan.
  let plan = { perDevice: false, global: [], byDevice: new Map(), scheduleFor: null, burst: 3, then: 'pass' };
  let pickThen = chooser('pass', 0);
  const thenByDevice = new Map();

  const deviceIndex = (id) => {
    let i = counters.devices.indexOf(id);
    if (i < 0) {
      counters.devices.push(id);
      i = counters.devices.length - 1;
    }
    return i;
  };

  const nextMode = (device) => {
    if (plan.perDevice) {
      if (!plan.byDevice.has(device)) {
        plan.byDevice.set(device, expand(plan.scheduleFor(device, counters.devices[device]), plan.burst));
      }
      const queue = plan.byDevice.get(device);
      if (queue.length) return queue.shift();
      if (!thenByDevice.has(device)) thenByDevice.set(device, chooser(plan.then, device + 1));
      return thenByDevice.get(device)();
    }
    if (plan.global.length) return plan.global.shift();
    return pickThen();
  };

  // Restart while pushes are in flight.
  let restartArm = null; // { options, held: [], timer, done: {resolve, reject} }
  let restarting = false;

  /** Forwards one request with `body`; resolves to the server's buffered answer or `{ error }`. */
  const forward = (req, body) =>
    new Promise((res) => {
      const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      const out = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
        (answer) => {
          readAll(answer).then(
            (buf) => res({ status: answer.statusCode ?? 502, statusMessage: answer.statusMessage, headers: answer.headers, body: buf }),
            (error) => res({ error }),
          );
        },
      );
      out.on('error', (error) => res({ error }));
      out.end(body);
    });

  const reply = (res, answer) => {
    const headers = { ...answer.headers, 'content-length': String(answer.body.length) };
    delete headers['transfer-encoding'];
    res.writeHead(answer.status, answer.statusMessage, headers);
    res.end(answer.body);
  };
  const reply502 = (res, error) => {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'proxy_upstream', message: String(error) }));
  };
  /** Closes the browser's connection abruptly, without an answer. */
  const cut = (req, res) => {
    res.destroy();
    req.socket.destroy();
  };

  const record = (event) => events.push({ t: Date.now() - started, ...event });
  /** Who sent a request: the page or the service worker (by the Referer path). */
  const sender = (req) => {
    try {
      const path = new URL(req.headers.referer ?? '').pathname;
      return path.endsWith('.js') ? `worker ${path}` : 'page';
    } catch {
      return 'unknown';
    }
  };

  /** Handles one push request according to `mode`. */
  const handlePush = async (req, res, body, device, n, mode) => {
    const event = { n, device, mode, from: sender(req) };
    switch (mode) {
      case 'drop_request': {
        cut(req, res);
        counters.fired.drop_request += 1;
        record({ ...event, outcome: 'request dropped, not forwarded' });
        return;
      }
      case 'burst_5xx': {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ code: 'proxy_unavailable', message: 'fault injected by the e2e proxy' }));
        counters.fired.burst_5xx += 1;
        record({ ...event, outcome: '503, not forwarded' });
        return;
      }
      case 'duplicate': {
        const first = await forward(req, body);
        if (first.error) {
          counters.upstreamErrors += 1;
          reply502(res, first.error);
          record({ ...event, outcome: `upstream error on the first copy: ${first.error.code ?? first.error}` });
          return;
        }
        counters.pushStatuses.push(first.status);
        const second = await forward(req, body);
        if (second.error) {
          counters.upstreamErrors += 1;
          reply502(res, second.error);
          record({ ...event, outcome: `first copy ${first.status}, upstream error on the second: ${second.error.code ?? second.error}` });
          return;
        }
        counters.pushStatuses.push(second.status);
        reply(res, second);
        counters.fired.duplicate += 1;
        record({ ...event, outcome: `forwarded twice: ${first.status}, ${second.status}; answered with the second`, status: second.status });
        return;
      }
      case 'drop_response':
      case 'pass': {
        const answer = await forward(req, body);
        if (answer.error) {
          counters.upstreamErrors += 1;
          reply502(res, answer.error);
          record({ ...event, outcome: `upstream error: ${answer.error.code ?? answer.error}` });
          return;
        }
        counters.pushStatuses.push(answer.status);
        if (mode === 'drop_response') {
          cut(req, res);
          counters.pushResponsesDropped += 1;
          counters.fired.drop_response += 1;
          record({ ...event, outcome: `server answered ${answer.status}; answer dropped`, status: answer.status });
        } else {
          reply(res, answer);
          counters.fired.pass += 1;
          record({ ...event, outcome: `answered ${answer.status}`, status: answer.status });
        }
        return;
      }
      default:
        throw new Error(`unknown mode ${mode}`);
    }
  };

  /** Forwards the held pushes, crashes/restarts the server meanwhile, loses every answer. */
  const fireRestart = () => {
    const arm = restartArm;
    restartArm = null;
    clearTimeout(arm.timer);
    restarting = true;
    counters.restart.triggered += 1;
    counters.restart.held += arm.held.length;
    const { restart, delayMs = 0, after = 'forward' } = arm.options;
    let firstSettled;
    const first = new Promise((r) => (firstSettled = r));
    const inFlight = arm.held.map(({ req, res, body, device, n }) =>
      forward(req, body).then((answer) => {
        if (!answer.error) firstSettled();
        // The server went down with these pushes in flight: their answers never arrive.
        cut(req, res);
        if (answer.error) {
          counters.restart.lostInCrash += 1;
          record({ n, device, mode: 'restart', outcome: `in flight during the crash: ${answer.error.code ?? answer.error}` });
        } else {
          counters.pushStatuses.push(answer.status);
          counters.restart.answeredBeforeCrash += 1;
          record({ n, device, mode: 'restart', outcome: `server answered ${answer.status} before the crash; answer lost`, status: answer.status });
        }
      }),
    );
    // (If the server answers none of them, the restart comes once all have failed.)
    Promise.all(inFlight).then(() => firstSettled());
    const restarted = (async () => {
      if (after === 'first_answer') await first;
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      record({ n: counters.pushRequests, device: null, mode: 'restart', outcome: 'server restart begins' });
      await restart();
      record({ n: counters.pushRequests, device: null, mode: 'restart', outcome: 'server is back' });
    })();
    Promise.all([restarted, ...inFlight]).then(
      () => {
        restarting = false;
        counters.restart.completed += 1;
        arm.done.resolve();
      },
      (err) => {
        restarting = false;
        arm.done.reject(err);
      },
    );
  };

  const server = http.createServer((req, res) => {
    counters.requests += 1;
    if (isBlobChunk(req)) {
      const chunk = {
        t: Date.now() - started,
        sha256: (req.url ?? '').split('?')[0].split('/').pop(),
        offset: Number(req.headers['upload-offset']),
        bytes: Number(req.headers['content-length'] ?? NaN),
      };
      blobChunks.push(chunk);
      if (blobPlan && blobPassed >= blobPlan.pass) {
        // Refused: the body is read (so the browser is not stuck sending), then the fault.
        readAll(req).then(
          () => {
            if (blobPlan?.mode === 'burst_5xx') {
              res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
              res.end(JSON.stringify({ code: 'proxy_unavailable', message: 'blob chunk refused by the e2e proxy' }));
              chunk.outcome = '503, not forwarded';
            } else {
              cut(req, res);
              chunk.outcome = 'dropped, not forwarded';
            }
          },
          () => cut(req, res),
        );
        return;
      }
      if (blobPlan) blobPassed += 1;
      chunk.outcome = 'forwarded';
      res.on('finish', () => (chunk.status = res.statusCode));
    }
    if (!isPush(req)) {
      const headers = { ...req.headers, host: upstream.host };
      const out = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', (err) => {
        if (!res.headersSent) reply502(res, err);
        else res.destroy();
      });
      req.pipe(out);
      return;
    }

    counters.pushRequests += 1;
    const n = counters.pushRequests;
    readAll(req).then(
      async (body) => {
        let deviceId = 'unknown';
        try {
          deviceId = JSON.parse(body.toString('utf8')).device_id ?? 'unknown';
        } catch {
          // not JSON: still a push request, keyed as 'unknown'
        }
        const device = deviceIndex(deviceId);
        if (restartArm) {
          const arm = restartArm;
          arm.held.push({ req, res, body, device, n });
          record({ n, device, mode: 'restart', from: sender(req), outcome: 'held for the restart' });
          if (arm.held.length >= arm.options.inFlight) fireRestart();
          // The wait starts at the first held push.
          else if (!arm.timer) arm.timer = setTimeout(() => restartArm === arm && fireRestart(), arm.options.maxWaitMs);
          return;
        }
        if (restarting) {
          // Not a planned fault: whatever the server (down or coming back) makes of it.
          counters.restart.duringRestart += 1;
          const answer = await forward(req, body);
          if (answer.error) {
            counters.upstreamErrors += 1;
            reply502(res, answer.error);
            record({ n, device, mode: 'during_restart', from: sender(req), outcome: `upstream error: ${answer.error.code ?? answer.error}` });
          } else {
            counters.pushStatuses.push(answer.status);
            reply(res, answer);
            record({ n, device, mode: 'during_restart', from: sender(req), outcome: `answered ${answer.status}`, status: answer.status });
          }
          return;
        }
        let mode;
        if (dropPushResponses > 0) {
          dropPushResponses -= 1;
          mode = 'drop_response';
        } else {
          mode = nextMode(device);
        }
        counters.scheduled[mode] += 1;
        await handlePush(req, res, body, device, n, mode);
      },
      () => cut(req, res),
    ).catch((err) => {
      record({ n, device: null, mode: 'error', outcome: `proxy error: ${err?.stack ?? err}` });
      cut(req, res);
    });
  });

  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    counters,
    events,
    /** Lose the responses of the next `n` push requests after the server has answered them. */
    dropNextPushResponses(n) {
      dropPushResponses += n;
    },
    /**
     * Replaces the fault plan for push requests.
     * - `schedule`: steps (`'mode'` or `{ mode, times }`), one per push request; with
     *   `perDevice`, a list every device consumes on its own, or a function
     *   `(deviceIndex, deviceId) => steps` (devices are numbered in the order of their first push).
     * - `then`: what follows the schedule: a mode (default `'pass'`) or
     *   `{ seed, weights, maxFaultsInARow }`, e.g. `{ seed: 7, weights: { pass: 3, burst_5xx: 1 } }`:
     *   a seeded draw per push (per device with `perDevice`, seeded seed + index + 1), never more
     *   than `maxFaultsInARow` failing modes in a row (the next draw is then a `pass`), which keeps
     *   the client's exponential backoff short.
     * - `burst`: the length of a bare `'burst_5xx'` step (default 3).
     */
    setPushPlan({ schedule = [], perDevice = false, then = 'pass', burst = 3 } = {}) {
      const scheduleFor = typeof schedule === 'function' ? schedule : () => schedule;
      expand(scheduleFor(0, 'check'), burst); // validate now, not at the first push
      chooser(then, 0);
      plan = { perDevice, global: perDevice ? [] : expand(scheduleFor(0, 'global'), burst), byDevice: new Map(), scheduleFor, burst, then };
      pickThen = chooser(then, 0);
      thenByDevice.clear();
    },
    /** From now on every push passes (what is left of the schedule is discarded). */
    heal() {
      plan = { perDevice: false, global: [], byDevice: new Map(), scheduleFor: () => [], burst: 3, then: 'pass' };
      pickThen = chooser('pass', 0);
      thenByDevice.clear();
    },
    /** Scheduled steps not yet consumed (devices that never pushed are not counted). */
    remaining() {
      if (!plan.perDevice) return plan.global.length;
      let n = 0;
      for (const q of plan.byDevice.values()) n += q.length;
      return n;
    },
    /**
     * Crash and restart the server with pushes in flight: the next push requests are held (not
     * forwarded) until `inFlight` of them have arrived or `maxWaitMs` has passed since the first;
     * then all of them are forwarded together and, `delayMs` later, `restart()` is called (it
     * should take the server down and bring it back on the same address). With
     * `after: 'first_answer'` the `delayMs` count from the moment the server answered (or failed)
     * the first of them instead: it has committed that push and is still busy with the others,
     * so the crash is reliably in the middle of the batch of pushes. The answers to the held
     * pushes are lost whatever the server managed to do (the browser's connection is closed).
     * Pushes arriving while the restart runs are forwarded as they are (no plan step consumed).
     * Returns a promise that settles once the restart is over and the held pushes are settled.
     */
    armRestart({ restart, inFlight = 1, maxWaitMs = 2_000, delayMs = 0, after = 'forward' }) {
      if (restartArm || restarting) throw new Error('a restart is already armed or running');
      if (!['forward', 'first_answer'].includes(after)) throw new Error(`armRestart: unknown after ${JSON.stringify(after)}`);
      let done;
      const promise = new Promise((resolve, reject) => (done = { resolve, reject }));
      restartArm = { options: { restart, inFlight, maxWaitMs, delayMs, after }, held: [], timer: null, done };
      return promise;
    },
    /** Every photo chunk (`PATCH /api/v1/blobs/<sha256>`) seen, in arrival order:
     * `{ t, sha256, offset, bytes, outcome, status }` (`offset`: its `Upload-Offset` header). */
    blobChunks,
    /**
     * Interrupts photo uploads: the next `pass` chunks are forwarded, every chunk after them fails
     * (`mode` `'drop_request'`: the connection is closed without an answer; `'burst_5xx'`: 503)
     * until `healBlobs()`.
     */
    failBlobChunksAfter(pass, mode = 'drop_request') {
      if (!['drop_request', 'burst_5xx'].includes(mode)) throw new Error(`failBlobChunksAfter: unknown mode ${JSON.stringify(mode)}`);
      blobPlan = { pass, mode };
      blobPassed = 0;
    },
    /** Photo chunks pass again. */
    healBlobs() {
      blobPlan = null;
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise((res) => server.close(() => res()));
      agent.destroy();
    },
  };
}
