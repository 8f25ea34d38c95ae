// Starts the real tollgate (the same startTollgate that `tollgate serve` runs) on ephemeral
// loopback ports with a policy directory, and gives a real gRPC client for it.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { credentials, loadPackageDefinition, type ServiceError } from '@grpc/grpc-js';
import pino from 'pino';
import { buildConfig, type ServerConfig } from '../../src/config/config.js';
import { startTollgate, type Tollgate } from '../../src/server/app.js';
import { loadExtAuthzPackage } from '../../src/ext-authz/proto.js';
import { buildCheckRequest, type CheckRequestSpec } from '../../src/ext-authz/build.js';
import type { WireCheckResponse } from '../../src/ext-authz/respond.js';

type RawClient = {
  Check(req: unknown, cb: (err: ServiceError | null, res: WireCheckResponse) => void): void;
  close(): void;
};

export interface CheckClient {
  /** Send a CheckRequest built from a spec (or a raw wire object) and return the response. */
  check(request: CheckRequestSpec | { readonly wire: unknown }): Promise<WireCheckResponse>;
  close(): void;
}

export function checkClient(address: string, options: Record<string, unknown> = {}): CheckClient {
  const pkg = loadPackageDefinition(loadExtAuthzPackage()) as unknown as {
    envoy: { service: { auth: { v3: { Authorization: new (a: string, c: unknown, o?: unknown) => RawClient } } } };
  };
  const client = new pkg.envoy.service.auth.v3.Authorization(address, credentials.createInsecure(), options);
  return {
    check(request) {
      const wire = 'wire' in request ? request.wire : buildCheckRequest(request);
      return new Promise((resolve, reject) => client.Check(wire, (err, res) => (err ? reject(err) : resolve(res))));
    },
    close: () => client.close(),
  };
}

export interface RunningServer {
  readonly tollgate: Tollgate;
  readonly config: ServerConfig;
  readonly grpcAddress: string;
  readonly adminUrl: string;
  readonly client: CheckClient;
  readonly auditFile: string;
  close(): Promise<void>;
}

/** Flags as on the command line (without --grpc/--admin, which are ephemeral loopback ports). */
export async function startServer(policiesDir: string, flags: Record<string, string | boolean> = {}): Promise<RunningServer> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'tollgate-srv-'));
  const auditFile = typeof flags['audit-file'] === 'string' ? flags['audit-file'] : path.join(tmp, 'audit.log');
  const built = buildConfig({ policies: policiesDir, grpc: '127.0.0.1:0', admin: '127.0.0.1:0', 'audit-file': auditFile, 'log-level': 'silent', ...flags }, {});
  if (!built.ok) throw new Error(built.errors.join('\n'));
  const logger = pino({ level: 'silent' });
  const started = await startTollgate(built.config, logger);
  if (!started.ok) throw new Error(started.problems.join('\n'));
  const { tollgate } = started;
  const client = checkClient(tollgate.grpc.address);
  return {
    tollgate,
    config: built.config,
    grpcAddress: tollgate.grpc.address,
    adminUrl: `http://${tollgate.admin.address}`,
    client,
    auditFile,
    async close() {
      client.close();
      await tollgate.drain();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
