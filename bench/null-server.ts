// The null ext_authz server: the baseline of every end-to-end figure. It is tollgate's own gRPC
// listener (src/server/grpc.ts: same grpc-js server options, same proto loading and tolerant
// request decoding, same health service) with a Check that answers OK and does nothing else, so
// the distance between the two is exactly tollgate's own work. Run as a process:
//   node dist/bench/null-server.js --grpc 127.0.0.1:0
// It logs one JSON line {"msg":"null server serving","grpc":"host:port"} on stderr when ready.

import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { parseAddress } from '../src/config/address.js';
import { DEFAULTS } from '../src/config/config.js';
import { startGrpcServer, type GrpcServer } from '../src/server/grpc.js';
import type { WireCheckResponse } from '../src/ext-authz/respond.js';

// Only the status: an OK with no headers, no metadata.
const OK = Object.freeze({ status: Object.freeze({ code: 0 }) }) as unknown as WireCheckResponse;
const OK_PROMISE = Promise.resolve(OK);

export async function startNullServer(address: string): Promise<GrpcServer> {
  const parsed = parseAddress(address);
  if ('error' in parsed) throw new Error(parsed.error);
  return startGrpcServer({ address: parsed, maxMessageBytes: DEFAULTS.maxMessageBytes, check: () => OK_PROMISE });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { grpc: { type: 'string', default: '127.0.0.1:0' } } });
  const server = await startNullServer(values.grpc ?? '127.0.0.1:0');
  process.stderr.write(`${JSON.stringify({ msg: 'null server serving', grpc: server.address })}\n`);
  const stop = (): void => {
    void server.shutdown(1000).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`null server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
