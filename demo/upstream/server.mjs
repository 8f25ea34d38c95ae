// The demo's protected "orders" app: a tiny HTTP server that answers the three demo endpoints
// and echoes what tollgate told it about the caller (x-tollgate-* headers). It does no
// authorization of its own: everything reaching it already passed its Envoy sidecar and tollgate.
//
// usage: node server.mjs   (HOST, default 127.0.0.1 — only its sidecar can reach it; PORT, default 8080)

import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const MAX_BODY = 64 * 1024;
const ONE_ORDER = /^\/orders\/([A-Za-z0-9_-]+)$/;

/** What the app learned from the authorizer, as the upstream sees it. */
function callerView(req) {
  return {
    caller: req.headers['x-tollgate-caller'] ?? null,
    rule: req.headers['x-tollgate-rule'] ?? null,
    decision_id: req.headers['x-tollgate-decision-id'] ?? null,
    // orders.yaml sets forwardToken: false, so a bearer token never reaches the app.
    authorization_forwarded: req.headers.authorization !== undefined,
  };
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

function route(req, res) {
  const path = (req.url ?? '/').split('?')[0];
  const seen = callerView(req);
  if (req.method === 'GET' && path === '/orders') {
    return send(res, 200, { orders: [{ id: '42', item: 'coffee' }], ...seen });
  }
  const one = ONE_ORDER.exec(path);
  if (req.method === 'GET' && one) {
    return send(res, 200, { order: { id: one[1], item: 'coffee' }, ...seen });
  }
  if (req.method === 'POST' && path === '/orders') {
    return send(res, 201, { created: { id: String(Date.now()) }, ...seen });
  }
  return send(res, 404, { error: 'not_found' });
}

/** @param {{ log?: (line: string) => void }} [options] */
export function createOrdersServer({ log = console.log } = {}) {
  return createServer((req, res) => {
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy();
    });
    req.on('end', () => {
      route(req, res);
      log(`${req.method} ${req.url} caller=${req.headers['x-tollgate-caller'] ?? '-'} -> ${res.statusCode}`);
    });
  });
}

function main() {
  const host = process.env.HOST ?? '127.0.0.1';
  const port = Number(process.env.PORT ?? '8080');
  const server = createOrdersServer();
  server.listen(port, host, () => console.log(`orders app listening on ${host}:${port}`));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
