// Who is calling, proven (product.md §2): the mTLS peer and the bearer token of a request, each
// established or refused, before any rule is read. Synchronous whenever everything needed is
// cached; never throws. Revocations and rules are the decision core's business, not this one's.

import type { Request } from '../decision/types.js';
import type { Metrics } from '../observability/metrics.js';
import type { CompiledService, IssuerConfig, TrustConfig } from '../policy/types.js';
import { DEFAULT_MAX_TOKEN_BYTES, extractBearer } from './bearer.js';
import { createCertificateCache } from './certificate.js';
import { peerFailure, tokenFailure } from './failures.js';
import { inspectJwt } from './jwt-inspect.js';
import { DEFAULT_KEY_WAIT_MS, verifyJwt } from './jwt.js';
import { errorText, KeySource, sourceKey, type IdentityLogger, type KeySet } from './jwks.js';
import { identifyPeer, type PeerResult } from './peer.js';
import { createTokenCache, type CachedToken } from './token-cache.js';
import type { Identity, IdentityFailure, VerifiedToken } from './types.js';

export type { IdentityLogger } from './jwks.js';

export interface IdentifierOptions {
  readonly metrics?: Metrics | undefined;
  readonly logger?: IdentityLogger | undefined;
  /** Largest accepted bearer token (default 8 KiB). */
  readonly maxTokenBytes?: number | undefined;
  readonly tokenCacheSize?: number | undefined;
  readonly certCacheSize?: number | undefined;
  /** Longest a check waits for a key set fetch (default 100 ms). */
  readonly keyWaitMs?: number | undefined;
  /** Epoch milliseconds; injectable for tests. */
  readonly now?: (() => number) | undefined;
}

export interface Identifier {
  /** Set up / tear down key sources for these issuers; resolves when their first loads are done. */
  configure(trust: TrustConfig): Promise<void>;
  identify(request: Request, service: CompiledService | undefined, trust: TrustConfig): Identity | Promise<Identity>;
  close(): void;
}

const signatures = new WeakMap<IssuerConfig, string>();

/** Everything a verification depended on; a cached token of a changed issuer is re-verified. */
function issuerSignature(issuer: IssuerConfig): string {
  let sig = signatures.get(issuer);
  if (sig === undefined) {
    sig = JSON.stringify([issuer.issuer, issuer.algorithms, issuer.maxLifetimeSec, issuer.clockSkewSec, sourceKey(issuer)]);
    signatures.set(issuer, sig);
  }
  return sig;
}

function identity(peer: PeerResult, token: VerifiedToken | undefined, failure: IdentityFailure | undefined, presented: boolean): Identity {
  return Object.freeze({ peer: peer.peer, token, peerFailure: peer.failure, tokenFailure: failure, tokenPresented: presented });
}

/** The Identifier: key sources per issuer, the certificate and token caches. */
class Identification implements Identifier {
  private readonly now: () => number;
  private readonly keyWaitMs: number;
  private readonly maxTokenBytes: number;
  private readonly deps: { metrics?: Metrics | undefined; logger?: IdentityLogger | undefined; now: () => number };
  private readonly certs: ReturnType<typeof createCertificateCache>;
  private readonly tokens: ReturnType<typeof createTokenCache>;
  private sources = new Map<string, KeySource>();
  private closed = false;

  constructor(options: IdentifierOptions) {
    this.now = options.now ?? Date.now;
    this.keyWaitMs = options.keyWaitMs ?? DEFAULT_KEY_WAIT_MS;
    this.maxTokenBytes = options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
    this.deps = { metrics: options.metrics, logger: options.logger, now: this.now };
    this.certs = createCertificateCache(options.certCacheSize);
    this.tokens = createTokenCache({
      max: options.tokenCacheSize, now: this.now, metrics: options.metrics, isCurrent: (entry, trust) => this.isCurrent(entry, trust),
    });
  }

  async configure(trust: TrustConfig): Promise<void> {
    if (this.closed) return;
    const next = new Map<string, KeySource>();
    for (const issuer of trust.issuers.values()) {
      const current = this.sources.get(issuer.name);
      next.set(issuer.name, current !== undefined && current.key === sourceKey(issuer) ? current : new KeySource(issuer, this.deps));
    }
    for (const [name, source] of this.sources) if (next.get(name) !== source) source.close();
    this.sources = next;
    await Promise.all([...next.values()].map((source) => source.start()));
  }

  identify(request: Request, service: CompiledService | undefined, trust: TrustConfig): Identity | Promise<Identity> {
    const nowMs = this.now();
    const peer = this.peerOf(request, trust, nowMs);
    try {
      const bearer = extractBearer(request, this.maxTokenBytes);
      if (bearer.kind === 'none') return identity(peer, undefined, undefined, false);
      if (bearer.kind === 'failure') return identity(peer, undefined, bearer.failure, true);
      // Without a service there is no audience to verify for; the decision is no_policy anyway.
      if (service === undefined) return identity(peer, undefined, undefined, true);
      return this.tokenIdentity(bearer.token, service.audience, trust, peer, nowMs);
    } catch (err) {
      return this.verificationError(peer, err);
    }
  }

  close(): void {
    this.closed = true;
    for (const source of this.sources.values()) source.close();
    this.sources = new Map();
    this.tokens.clear();
  }

  /** A cached token holds only while its issuer's settings, key set and trust domain do. */
  private isCurrent(entry: CachedToken, trust: TrustConfig): boolean {
    const issuer = trust.issuersByIss.get(entry.token.iss);
    if (issuer === undefined || issuer.name !== entry.token.issuer || issuerSignature(issuer) !== entry.issuerSig) return false;
    if (this.sources.get(issuer.name)?.current() !== entry.keySet) return false;
    const svid = entry.token.svid;
    return svid === undefined || trust.trustDomains.has(svid.trustDomain);
  }

  /** The live source for an issuer; created on the spot if configure() has not caught up yet. */
  private sourceFor(issuer: IssuerConfig): KeySource {
    const existing = this.sources.get(issuer.name);
    if (existing !== undefined && existing.key === sourceKey(issuer)) return existing;
    const created = new KeySource(issuer, this.deps);
    existing?.close();
    this.sources.set(issuer.name, created);
    if (this.closed) created.close();
    else void created.start();
    return created;
  }

  private peerOf(request: Request, trust: TrustConfig, nowMs: number): PeerResult {
    try {
      return identifyPeer(request, trust, this.certs, nowMs);
    } catch (err) {
      this.deps.logger?.error({ err: errorText(err) }, 'peer identification failed');
      return { peer: undefined, failure: peerFailure('invalid_peer_identity', 'peer_error') };
    }
  }

  private verificationError(peer: PeerResult, err: unknown): Identity {
    this.deps.logger?.error({ err: errorText(err) }, 'token verification failed unexpectedly');
    return identity(peer, undefined, tokenFailure('verification_error'), true);
  }

  /** Cache, then the cheap checks, then (asynchronously) the signature. */
  private tokenIdentity(jwt: string, audience: string, trust: TrustConfig, peer: PeerResult, nowMs: number): Identity | Promise<Identity> {
    const cached = this.tokens.get(jwt, audience, trust);
    if (cached !== undefined) return identity(peer, cached, undefined, true);
    const inspected = inspectJwt(jwt, trust, audience, nowMs);
    if (!inspected.ok) return identity(peer, undefined, inspected.failure, true);
    const { issuer } = inspected.jwt;
    return verifyJwt(jwt, inspected.jwt, audience, this.sourceFor(issuer), nowMs, this.keyWaitMs).then((v) => {
      if (!v.ok) return identity(peer, undefined, v.failure, true);
      this.remember(jwt, v.token, v.keySet, issuer);
      return identity(peer, v.token, undefined, true);
    }).catch((err: unknown) => this.verificationError(peer, err));
  }

  /** A cache fault costs a later re-verification, never this request. */
  private remember(jwt: string, token: VerifiedToken, keySet: KeySet, issuer: IssuerConfig): void {
    try {
      this.tokens.set(jwt, { token, keySet, expMs: token.exp * 1000, issuerSig: issuerSignature(issuer) });
    } catch (err) {
      this.deps.logger?.warn({ err: errorText(err) }, 'token cache store failed');
    }
  }
}

export function createIdentifier(options: IdentifierOptions = {}): Identifier {
  return new Identification(options);
}
