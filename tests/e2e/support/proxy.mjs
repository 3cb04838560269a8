// A fault-injecting HTTP proxy on loopback. It forwards every request to the server and can be
// told to lose the response of the next N push requests *after the server answered*: it reads
// the server's whole answer (so the server has committed), then destroys the browser's socket.
// The browser sees a broken connection and can only retry; the server must recognise the replay.

import http from 'node:http';

const isPush = (req) => req.method === 'POST' && (req.url ?? '').startsWith('/api/v1/sync/push');

/** @param {string} target the server's base URL, e.g. http://127.0.0.1:1234 */
export async function startProxy(target) {
  const upstream = new URL(target);
  const counters = { requests: 0, pushRequests: 0, pushResponsesDropped: 0, pushStatuses: [] };
  let dropPushResponses = 0;
  const agent = new http.Agent({ keepAlive: true });

  const server = http.createServer((req, res) => {
    counters.requests += 1;
    const push = isPush(req);
    if (push) counters.pushRequests += 1;
    const headers = { ...req.headers, host: upstream.host };
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        if (push) counters.pushStatuses.push(answer.statusCode);
        if (push && dropPushResponses > 0) {
          dropPushResponses -= 1;
          answer.resume();
          answer.on('end', () => {
            counters.pushResponsesDropped += 1;
            req.socket.destroy();
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', (err) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'proxy_upstream', message: String(err) }));
      } else {
        res.destroy();
      }
    });
    req.pipe(out);
  });

  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    counters,
    /** Lose the responses of the next `n` push requests after the server has answered them. */
    dropNextPushResponses(n) {
      dropPushResponses += n;
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise((res) => server.close(() => res()));
      agent.destroy();
    },
  };
}
