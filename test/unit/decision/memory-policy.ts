// Builds a policy snapshot in memory from service documents (validated by the real zod schema
// and compiled by the real compiler), for property tests that need thousands of policies.

import { compileService } from '../../../src/policy/compile.js';
import { ServicePolicySchema, TrustSchema } from '../../../src/policy/schema.js';
import type { EngineService } from '../../../src/policy/compiled.js';
import { START } from '../../../src/policy/problems.js';
import { compileTrust } from '../../../src/policy/trust.js';
import type { PolicySnapshot, TrustConfig } from '../../../src/policy/types.js';
import type { SourceFile } from '../../../src/policy/yaml-source.js';

export const MEMORY_TRUST: TrustConfig = compileTrust(
  TrustSchema.parse({
    kind: 'Trust',
    trustDomains: ['example.org'],
    issuers: { 'corp-idp': { issuer: 'https://idp.example.org', jwks: { file: 'jwks.json' }, algorithms: ['ES256'] } },
  }),
  '/nowhere',
);

function memorySource(data: unknown): SourceFile {
  return { file: 'memory.yaml', data, at: () => START, keyAt: () => START, has: () => true };
}

export function serviceOf(doc: Record<string, unknown>): EngineService {
  const parsed = ServicePolicySchema.parse({ kind: 'ServicePolicy', ...doc });
  return compileService(parsed, memorySource(doc), MEMORY_TRUST);
}

export function memorySnapshot(services: readonly EngineService[], generation = 1): PolicySnapshot {
  return {
    generation,
    loadedAt: 0,
    directory: '/nowhere',
    trust: MEMORY_TRUST,
    services: new Map(services.map((s) => [s.name, s])),
    byDestination: new Map(services.flatMap((s) => (s.spiffeId === undefined ? [] : [[s.spiffeId, s] as const]))),
  };
}
