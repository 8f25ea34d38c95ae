// Loads our ext_authz v3 proto definitions once, with loader options that avoid work on the hot
// path (no defaults, arrays or objects materialized for absent fields). It does not touch requests.

import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';

/** Directory of our .proto files (works from src/ under vitest and from dist/src/ after the build). */
export const PROTO_DIR = findProtoDir();

function findProtoDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // the bundle dist/ → ../proto ; src/ext-authz → ../../proto ; dist/src/ext-authz → ../../../proto
  // (the bundle's first: from /app/dist, ../../proto would be a /proto outside the app)
  for (const up of ['../proto', '../../proto', '../../../proto']) {
    const candidate = path.resolve(here, up);
    if (candidate.endsWith(`${path.sep}proto`) && existsSyncSafe(path.join(candidate, 'envoy'))) return candidate;
  }
  return path.resolve(here, '../../proto');
}

import { existsSync } from 'node:fs';
function existsSyncSafe(p: string): boolean {
  return existsSync(p);
}

export const LOADER_OPTIONS: Options = Object.freeze({
  keepCase: true,
  longs: String,
  enums: Number,
  defaults: false,
  arrays: false,
  objects: false,
  oneofs: false,
  includeDirs: [PROTO_DIR],
});

export const AUTHORIZATION_SERVICE = 'envoy.service.auth.v3.Authorization';

let cached: PackageDefinition | undefined;

export function loadExtAuthzPackage(): PackageDefinition {
  cached ??= loadSync(['envoy/service/auth/v3/external_auth.proto'], LOADER_OPTIONS);
  return cached;
}

/** The grpc-js service definition of envoy.service.auth.v3.Authorization. */
export function authorizationService(): ServiceDefinition {
  const pkg = loadPackageDefinition(loadExtAuthzPackage()) as unknown as {
    envoy: { service: { auth: { v3: { Authorization: { service: ServiceDefinition } } } } };
  };
  return pkg.envoy.service.auth.v3.Authorization.service;
}
