// The demo's two small programs: the orders app (demo/upstream/server.mjs) on a real port, and
// the client loop (demo/clients/call.sh) against a stand-in for its sidecar on 127.0.0.1.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO } from './compose.js';

const run = promisify(execFile);
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('demo/upstream/server.mjs', () => {
  const start = async (): Promise<string> => {
    const mod = (await import(path.join(REPO, 'demo/upstream/server.mjs'))) as { createOrdersServer: (options: { log: (line: string) => void }) => Server };
    return listen(mod.createOrdersServer({ log: () => {} }));
  };

  it('echoes the caller and rule tollgate put in the request headers', async () => {
    const base = await start();
    const res = await fetch(`${base}/orders/42`, {
      headers: { 'x-tollgate-caller': 'spiffe://demo.tollgate.local/ns/demo/sa/checkout', 'x-tollgate-rule': 'orders/read-orders' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      order: { id: '42' },
      caller: 'spiffe://demo.tollgate.local/ns/demo/sa/checkout',
      rule: 'orders/read-orders',
      authorization_forwarded: false,
    });
  });

  it('creates on POST /orders, reports a forwarded token, and knows no other route', async () => {
    const base = await start();
    const created = await fetch(`${base}/orders`, { method: 'POST', body: '{}', headers: { authorization: 'Bearer x' } });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ authorization_forwarded: true });
    expect((await fetch(`${base}/orders/42`, { method: 'DELETE' })).status).toBe(404);
  });
});

const hasCurl = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasCurl)('demo/clients/call.sh', () => {
  /** A stand-in sidecar that answers like orders.yaml would for `allowed` callers. */
  function fakeSidecar(seen: string[], answer: (req: IncomingMessage) => number): Server {
    return createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${req.headers['x-request-id'] ?? ''} ${req.headers.authorization ?? ''}`);
        res.writeHead(req.url === '/healthz/envoy' ? 200 : answer(req), { 'content-type': 'application/json' });
        res.end('{"reason":"stand-in"}\n');
      });
    });
  }

  async function callAs(caller: string, base: string, tokenFile = ''): Promise<{ code: number; stdout: string }> {
    const env = { ...process.env, CALLER: caller, ORDERS_URL: base, TOKEN_FILE: tokenFile, ROUNDS: '1', INTERVAL: '0', WAIT_SECONDS: '5' };
    try {
      const { stdout } = await run('sh', [path.join(REPO, 'demo/clients/call.sh')], { env });
      return { code: 0, stdout };
    } catch (error) {
      const failed = error as { code: number; stdout: string };
      return { code: failed.code, stdout: failed.stdout };
    }
  }

  it('makes checkout\'s planned calls, sending the token only where needed, and exits 0 when all are as expected', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-call-'));
    try {
      writeFileSync(path.join(dir, 'token.jwt'), 'a.b.c\n');
      const seen: string[] = [];
      const policyLike = (req: IncomingMessage): number =>
        req.method === 'GET' ? 200 : req.headers.authorization === 'Bearer a.b.c' ? 201 : 401;
      const result = await callAs('checkout', await listen(fakeSidecar(seen, policyLike)), path.join(dir, 'token.jwt'));
      expect(result.stdout).toMatch(/checkout: 4 calls, 0 unexpected/);
      expect(result.code).toBe(0);
      expect(seen.filter((s) => !s.startsWith('GET /healthz'))).toEqual([
        'GET /orders/42 checkout-r1-1 ',
        'GET /orders checkout-r1-2 ',
        'POST /orders checkout-r1-3 ',
        'POST /orders checkout-r1-4 Bearer a.b.c',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits non-zero and says so when the intruder is let in', async () => {
    const result = await callAs('intruder', await listen(fakeSidecar([], () => 200)));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/intruder GET\s+\/orders\/42\s+-> 200 \(expected 403, UNEXPECTED\)/);
    expect(result.stdout).toMatch(/intruder: 2 calls, 2 unexpected/);
  });
});
