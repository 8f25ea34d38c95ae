// The admin HTTP listener: /healthz, /readyz, /metrics, /inventory, /inventory/unused. Read-only,
// GET/HEAD only; it serves what the rest of the process exposes and decides nothing.

import http from 'node:http';
import { rm } from 'node:fs/promises';
import type { Registry } from 'prom-client';
import type { ListenAddress } from '../config/address.js';

export interface AdminSources {
  readonly registry: Registry;
  /** Ready: a valid policy set is loaded and the server is not draining. */
  ready(): boolean;
  inventory?(): unknown;
  unused?(): unknown;
}

export interface AdminServer {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function route(sources: AdminSources, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
  switch (url) {
    case '/healthz':
      return send(res, 200, 'text/plain', 'ok\n');
    case '/readyz':
      return sources.ready() ? send(res, 200, 'text/plain', 'ready\n') : send(res, 503, 'text/plain', 'not ready\n');
    case '/metrics':
      return send(res, 200, sources.registry.contentType, await sources.registry.metrics());
    case '/inventory':
      if (sources.inventory) return send(res, 200, 'application/json', JSON.stringify(sources.inventory()));
      break;
    case '/inventory/unused':
      if (sources.unused) return send(res, 200, 'application/json', JSON.stringify(sources.unused()));
      break;
  }
  send(res, 404, 'text/plain', 'not found\n');
}

export async function startAdminServer(address: ListenAddress, sources: AdminSources): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    route(sources, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.end();
    });
  });
  server.keepAliveTimeout = 5000;
  if (address.kind === 'unix') await rm(address.path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (address.kind === 'unix') server.listen(address.path, resolve);
    else server.listen(address.port, address.host, resolve);
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : 0;
  const shown = address.kind === 'unix' ? `unix:${address.path}` : `${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}`;
  return {
    address: shown,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
