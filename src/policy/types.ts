// The compiled, immutable policy snapshot that the decision core reads: trust configuration
// (trust domains, issuers, revocations) and one compiled policy per service. Built by
// src/policy/load.ts + compile.ts, swapped in whole by src/policy/store.ts. No I/O here.

export type Mode = 'enforce' | 'dry-run';

export interface JwksSource {
  /** Absolute path of a JWKS (or SPIFFE bundle) file, reloaded when it changes. */
  readonly file: string | undefined;
  /** http(s) URL of a JWKS, fetched in the background. */
  readonly url: string | undefined;
  readonly refreshMs: number;
  readonly cooldownMs: number;
  readonly timeoutMs: number;
  /**
   * Public keys of the `file` source as the loader read them together with the rest of the set
   * (private members stripped), so a key change swaps in atomically with the policies. Absent for
   * url sources.
   */
  readonly fileKeys?: readonly object[];
}

export interface IssuerConfig {
  /** The issuer's name in trust.yaml, used by service policies. */
  readonly name: string;
  /** Must equal the token's `iss`. */
  readonly issuer: string;
  readonly svid: boolean;
  readonly jwks: JwksSource;
  /** Asymmetric algorithms only (HS and none are refused when the file is loaded). */
  readonly algorithms: readonly string[];
  readonly maxLifetimeSec: number;
  readonly clockSkewSec: number;
}

export interface Revocations {
  readonly spiffeIds: ReadonlySet<string>;
  readonly tokenIds: ReadonlySet<string>;
  readonly keyIds: ReadonlySet<string>;
}

export interface TrustConfig {
  readonly trustDomains: ReadonlySet<string>;
  readonly trustXfcc: boolean;
  /** By issuer name. */
  readonly issuers: ReadonlyMap<string, IssuerConfig>;
  /** By `iss` value, for looking up a token's issuer. */
  readonly issuersByIss: ReadonlyMap<string, IssuerConfig>;
  readonly revoked: Revocations;
}

/** Where a definition stands in its file, for lint, explain and test output. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface CompiledService {
  readonly name: string;
  readonly spiffeId: string | undefined;
  /** Tokens must carry this audience (default: the service name). */
  readonly audience: string;
  readonly mode: Mode;
  readonly forwardToken: boolean;
  readonly position: SourcePosition;
  /** Rules in file order; the matcher index and entry matchers are the compiler's business. */
  readonly rules: readonly CompiledRuleInfo[];
}

export interface CompiledRuleInfo {
  readonly name: string;
  readonly mode: Mode;
  readonly position: SourcePosition;
  /** One human-readable line per `allow` entry, in file order (e.g. `spiffe=spiffe://example.org/ns/ops/*`). */
  readonly allowEntries: readonly string[];
}

export interface PolicySnapshot {
  /** Increases by one on every good load; 0 means nothing was loaded. */
  readonly generation: number;
  /** Epoch milliseconds of the load. */
  readonly loadedAt: number;
  readonly directory: string;
  readonly trust: TrustConfig;
  readonly services: ReadonlyMap<string, CompiledService>;
  /** Services by their `spiffeId`, for selection by destination principal. */
  readonly byDestination: ReadonlyMap<string, CompiledService>;
}
