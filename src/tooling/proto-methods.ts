// Reads the gRPC methods a .proto file declares (every rpc of every service, fully qualified) with
// protobufjs' parser. Imports are not followed: method names need nothing from other files.

import { readFile } from 'node:fs/promises';
import protobuf from 'protobufjs';
import type { GrpcApiMethod } from './api-methods.js';

function collect(ns: protobuf.NamespaceBase, source: string, out: GrpcApiMethod[]): void {
  for (const child of ns.nestedArray) {
    if (child instanceof protobuf.Service) {
      const service = child.fullName.replace(/^\./, '');
      for (const method of child.methodsArray) out.push({ kind: 'grpc', name: `${service}/${method.name}`, source });
    } else if (child instanceof protobuf.Namespace) {
      collect(child, source, out);
    }
  }
}

/** The methods of proto source text; throws with the parser's message on a syntax error. */
export function protoMethodsOf(text: string, source: string): GrpcApiMethod[] {
  const parsed = protobuf.parse(text, new protobuf.Root(), { keepCase: true, alternateCommentMode: true });
  const out: GrpcApiMethod[] = [];
  collect(parsed.root, source, out);
  return out;
}

export async function protoMethods(file: string): Promise<GrpcApiMethod[]> {
  return protoMethodsOf(await readFile(file, 'utf8'), file);
}
