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
