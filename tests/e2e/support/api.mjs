// Talks to the server's HTTP API directly (not through the browser or the proxy).

/** Registers a device for `username` and returns its bearer token. */
export async function registerDevice(baseUrl, username, password, label = 'e2e test') {
  const res = await fetch(`${baseUrl}/api/v1/devices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, label }),
  });
  const body = await res.text();
  if (res.status !== 201) throw new Error(`POST /api/v1/devices as ${username}: ${res.status} ${body}`);
  const json = JSON.parse(body);
  if (typeof json.token !== 'string') throw new Error(`registration answered without a token: ${body}`);
  return json.token;
}

/** Every order the server holds, as the supervisor sees them. */
export async function serverOrders(baseUrl) {
  const token = await registerDevice(baseUrl, 'super', 'super-demo', 'e2e supervisor');
  const res = await fetch(`${baseUrl}/api/v1/orders`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET /api/v1/orders: ${res.status} ${body}`);
  const json = JSON.parse(body);
  if (!Array.isArray(json.orders)) throw new Error(`GET /api/v1/orders: no "orders" array in ${body}`);
  return json.orders;
}

/** How many times each value occurs. */
export function countBy(items, key) {
  const counts = new Map();
  for (const item of items) counts.set(item[key], (counts.get(item[key]) ?? 0) + 1);
  return counts;
}

/** A bearer token of the supervisor (`super`), from a fresh device registration. */
export async function supervisorToken(baseUrl) {
  return registerDevice(baseUrl, 'super', 'super-demo', 'e2e supervisor');
}

/** The reference data rep1 sees (`GET /api/v1/reference`), straight from the server. */
export async function rep1Reference(baseUrl) {
  return getJson(baseUrl, '/api/v1/reference', await registerDevice(baseUrl, 'rep1', 'rep1-demo', 'e2e reference'));
}

/** `GET path` with `token`; the parsed JSON answer, or throws with the status and body. */
export async function getJson(baseUrl, path, token, { expect = 200 } = {}) {
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.text();
  if (res.status !== expect) throw new Error(`GET ${path}: ${res.status} ${body}`);
  return body === '' ? undefined : JSON.parse(body);
}

/** The office withdraws a task (`POST /api/v1/tasks/{id}/cancel`, supervisor only). */
export async function cancelTask(baseUrl, token, taskId) {
  const res = await fetch(`${baseUrl}/api/v1/tasks/${encodeURIComponent(taskId)}/cancel`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`POST /api/v1/tasks/${taskId}/cancel: ${res.status} ${body}`);
  return JSON.parse(body);
}

/** Every task on the server (`status=all`) as `token`'s user sees them. */
export async function serverTasks(baseUrl, token) {
  const json = await getJson(baseUrl, '/api/v1/tasks?status=all', token);
  if (!Array.isArray(json.items)) throw new Error(`GET /api/v1/tasks: no "items" array in ${JSON.stringify(json)}`);
  return json.items;
}
