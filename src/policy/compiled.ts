// The compiled forms the decision core runs on: a service with its method index and its rules
// with their method specs and entry matchers. They extend the shared CompiledService /
// CompiledRuleInfo of types.ts. Building them is compile.ts's job; no behaviour here.

import type { CompiledEntry } from './entries.js';
import type { MethodIndex } from './method-index.js';
import type { MethodSpec } from './method-spec.js';
import type { CompiledRuleInfo, CompiledService } from './types.js';

export type Credential = 'mtls' | 'token';

export interface EngineRule extends CompiledRuleInfo {
  /** Position in the service's rule list (file order). */
  readonly index: number;
  readonly methods: readonly MethodSpec[];
  readonly require: readonly Credential[];
  readonly requireMtls: boolean;
  readonly requireToken: boolean;
  readonly allow: readonly CompiledEntry[];
  readonly deny: readonly CompiledEntry[];
}

export interface EngineService extends CompiledService {
  readonly rules: readonly EngineRule[];
  readonly index: MethodIndex;
}

/** Whether a service came out of compile.ts (and so carries its index and matchers). */
export function isEngineService(service: CompiledService): service is EngineService {
  return (service as Partial<EngineService>).index !== undefined;
}
