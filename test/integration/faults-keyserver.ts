// A JWKS server for the fault tests, on 127.0.0.1 port 0, whose behaviour a test switches at any
// moment (ok, down, garbage, hang) and which reports every request and every abandoned one.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter, once } from 'node:events';

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
