// `tollgate check`: send one CheckRequest to a running tollgate and print what Envoy would do
// with the answer. A debugging and demo client; it makes no decisions of its own.

import { parseArgs } from 'node:util';
import { credentials, loadPackageDefinition, type ServiceError } from '@grpc/grpc-js';
import { buildCheckRequest } from '../ext-authz/build.js';
import { headerRecord } from './explain-input.js';
import { loadExtAuthzPackage } from '../ext-authz/proto.js';
import type { WireCheckResponse } from '../ext-authz/respond.js';

export const CHECK_USAGE = `Usage: tollgate check [--grpc ADDR] (--http "GET /path" | --grpc-method pkg.Svc/Method)
                      [--service S] [--spiffe ID] [--token JWT] [--header k=v ...] [--request-id ID] [--json]

Sends one CheckRequest, shaped like Envoy's, to a running tollgate (default 127.0.0.1:9191)
and prints the decision. Exit 0 allowed, 1 denied, 2 usage or connection error.
`;

type Client = { Check(req: unknown, cb: (err: ServiceError | null, res: WireCheckResponse) => void): void; close(): void };


export function describeResponse(res: WireCheckResponse): string {
  const lines: string[] = [];
  const allowed = res.status?.code === 0;
  lines.push(`${allowed ? 'ALLOW' : 'DENY'}  grpc status ${res.status?.code ?? '?'}${res.status?.message ? ` (${res.status.message})` : ''}`);
  const headers = allowed ? res.ok_response?.headers : res.denied_response?.headers;
  if (!allowed) lines.push(`  http ${res.denied_response?.status?.code ?? '?'}  body ${res.denied_response?.body ?? ''}`);
  for (const h of headers ?? []) lines.push(`  header ${h.header.key}: ${h.header.value}`);
  for (const h of res.ok_response?.headers_to_remove ?? []) lines.push(`  remove ${h}`);
  return `${lines.join('\n')}\n`;
}

export async function checkCommand(argv: readonly string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...argv], strict: true, allowPositionals: false,
      options: {
        grpc: { type: 'string' }, http: { type: 'string' }, 'grpc-method': { type: 'string' }, service: { type: 'string' },
        spiffe: { type: 'string' }, token: { type: 'string' }, header: { type: 'string', multiple: true },
        'request-id': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
    if (values.help) {
      process.stdout.write(CHECK_USAGE);
      return 0;
    }
    if ((values.http === undefined) === (values['grpc-method'] === undefined)) throw new Error('give exactly one of --http or --grpc-method');
  } catch (err) {
    process.stderr.write(`tollgate check: ${(err as Error).message}\n`);
    return 2;
  }
  let request;
  try {
    request = buildCheckRequest({
      http: values.http, grpc: values['grpc-method'], service: values.service, principal: values.spiffe, token: values.token,
      headers: headerRecord(values.header ?? []), requestId: values['request-id'],
    });
  } catch (err) {
    process.stderr.write(`tollgate check: ${(err as Error).message}\n`);
    return 2;
  }
  const pkg = loadPackageDefinition(loadExtAuthzPackage()) as unknown as {
    envoy: { service: { auth: { v3: { Authorization: new (addr: string, creds: unknown) => Client } } } };
  };
  const target = values.grpc ?? process.env.TOLLGATE_GRPC_ADDR ?? '127.0.0.1:9191';
  const client = new pkg.envoy.service.auth.v3.Authorization(target, credentials.createInsecure());
  try {
    const res = await new Promise<WireCheckResponse>((resolve, reject) => {
      client.Check(request, (err, r) => (err ? reject(err) : resolve(r)));
    });
    process.stdout.write(values.json ? `${JSON.stringify(res)}\n` : describeResponse(res));
    return res.status?.code === 0 ? 0 : 1;
  } catch (err) {
    process.stderr.write(`tollgate check: ${target}: ${(err as Error).message}\n`);
    return 2;
  } finally {
    client.close();
  }
}
