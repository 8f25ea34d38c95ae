// A JWKS server for the fault tests, on 127.0.0.1 port 0, whose behaviour a test switches at any
// moment (ok, down, garbage, hang) and which reports every request and every abandoned one.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter, once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, jwks, type TestKey } from '../helpers/tokens.js';

export type Mode = 'ok' | 'down' | 'garbage' | 'hang';

/** A key server on 127.0.0.1:0 whose behaviour the test switches; it reports every request. */
export class KeyServer extends EventEmitter {
  mode: Mode = 'down';
  body = '';
  readonly hanging: ServerResponse[] = [];
  /** Hanging requests the client gave up on. */
  aborted = 0;
  readonly server = createServer((req, res) => this.answer(req, res));
  url = '';

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks.json`;
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const mode = this.mode;
    if (mode === 'hang') {
      this.hanging.push(res);
      req.on('close', () => {
        this.aborted++;
        this.emit('aborted');
      });
    } else if (mode === 'down') {
      res.writeHead(503).end('down');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end(mode === 'garbage' ? '<html>oops' : this.body);
    }
    this.emit('request', mode);
  }

  /** Answer the hanging requests now, with the current body. */
  release(): void {
    for (const res of this.hanging.splice(0)) if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end(this.body);
  }

  async close(): Promise<void> {
    for (const res of this.hanging.splice(0)) res.destroy();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

export const FAULTS_ISS = 'https://idp.example.org';
export const FAULTS_READER = 'spiffe://example.org/ns/app/sa/reader';

/**
 * A key server holding one ES256 key (k1; k2 is a second, unpublished key) and a policy dir
 * whose issuer `corp` fetches from it: a check with a k2 token waits on the server.
 */
export async function keyServerFixture(prefix: string, cleanup: (() => Promise<void> | void)[]): Promise<{
  keys: KeyServer; dir: string; k1: TestKey; k2: TestKey;
}> {
  const k1 = await generateKey('ES256', { kid: 'k1' });
  const k2 = await generateKey('ES256', { kid: 'k2' });
  const keys = new KeyServer();
  keys.mode = 'ok';
  keys.body = JSON.stringify(jwks([k1]));
  await keys.start();
  cleanup.push(() => keys.close());
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'trust.yaml'), `kind: Trust\ntrustDomains: [example.org]\nissuers:\n  corp:\n    issuer: ${FAULTS_ISS}\n    jwks: { url: ${keys.url}, refresh: 1h, cooldown: 1h, timeout: 30s }\n    algorithms: [ES256]\n`);
  await writeFile(join(dir, 'svc.yaml'), `kind: ServicePolicy\nservice: svc\nrules:\n  - name: read\n    methods: [{ http: GET /x }]\n    allow:\n      - spiffe: ${FAULTS_READER}\n      - token: { issuer: corp, subject: bot }\n`);
  return { keys, dir, k1, k2 };
}
