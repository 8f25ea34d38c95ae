// The gRPC listener: envoy.service.auth.v3.Authorization/Check and grpc.health.v1.Health on one
// address (host:port or unix:/path). It only adapts grpc-js to the Check orchestrator.

import { Server, ServerCredentials, type ServerUnaryCall, type ServiceDefinition, type sendUnaryData } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { authorizationService, AUTHORIZATION_SERVICE } from '../ext-authz/proto.js';
import { denyResponse, decisionIdFor, type WireCheckResponse } from '../ext-authz/respond.js';
import { encodeCheckResponse } from '../ext-authz/encode.js';
import { EncodedCheckResponse, type CheckAnswer } from '../ext-authz/allow-template.js';
import { formatAddress, type ListenAddress } from '../config/address.js';
import { failClosedDecision } from './check-handler.js';
import { UNDECODABLE } from '../ext-authz/decode.js';
import { readCheckRequest } from '../ext-authz/read-request.js';

export interface GrpcServer {
  /** The bound address, with the real port when 0 was asked for. */
  readonly address: string;
  readonly port: number;
  setServing(serving: boolean): void;
  /** Stop accepting calls, let in-flight ones finish, force-close after `graceMs`. */
  shutdown(graceMs: number): Promise<void>;
}

export interface GrpcOptions {
  readonly address: ListenAddress;
  readonly maxMessageBytes: number;
  readonly check: (wire: unknown) => Promise<CheckAnswer>;
}

/** Last line of defence: if the orchestrator itself rejects, answer a well-formed deny anyway. */
function lastResortDeny(): WireCheckResponse {
  return denyResponse(decisionIdFor(''), failClosedDecision('internal_error', 'handler_rejected', 0), undefined);
}

/**
 * Bytes that do not parse as a CheckRequest still get a decision (malformed_request) rather than
 * a gRPC INTERNAL error whose meaning Envoy would have to guess. Requests are read and responses
 * encoded directly (ext-authz/read-request.ts and encode.ts: the same values and bytes, several
 * times faster), the generic deserializer and serializer standing by.
 */
export function tolerantService(): ServiceDefinition {
  const service = authorizationService();
  const check = service.Check;
  if (check === undefined) throw new Error('proto: Authorization.Check missing');
  const deserialize = check.requestDeserialize;
  const serialize = check.responseSerialize;
  return {
    ...service,
    Check: {
      ...check,
      requestDeserialize(bytes: Buffer): unknown {
        try {
          return readCheckRequest(bytes) ?? deserialize(bytes);
        } catch {
          return UNDECODABLE;
        }
      },
      responseSerialize(value: CheckAnswer): Buffer {
        if (value instanceof EncodedCheckResponse) return value.bytes;
        try {
          return encodeCheckResponse(value);
        } catch {
          return serialize(value);
        }
      },
    },
  };
}

export async function startGrpcServer(options: GrpcOptions): Promise<GrpcServer> {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': 1024 * 1024,
  });
  server.addService(tolerantService(), {
    Check(call: ServerUnaryCall<unknown, CheckAnswer>, callback: sendUnaryData<CheckAnswer>): void {
      options.check(call.request).then(
        (response) => callback(null, response),
        () => callback(null, lastResortDeny()),
      );
    },
  });
  const health = new HealthImplementation({ '': 'SERVING', [AUTHORIZATION_SERVICE]: 'SERVING' });
  health.addToServer(server);
  const target = formatAddress(options.address);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(target, ServerCredentials.createInsecure(), (err, boundPort) => (err ? reject(err) : resolve(boundPort)));
  });
  const address = options.address.kind === 'unix' ? target : formatAddress(options.address, port);
  return {
    address,
    port,
    setServing(serving: boolean): void {
      const status = serving ? 'SERVING' : 'NOT_SERVING';
      health.setStatus('', status);
      health.setStatus(AUTHORIZATION_SERVICE, status);
    },
    shutdown(graceMs: number): Promise<void> {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
