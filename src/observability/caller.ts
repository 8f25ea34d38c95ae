// The caller's name as the inventory (and the x-tollgate-caller header) print it. Naming only:
// it establishes nothing and is never matched against a policy.

import type { Identity, VerifiedToken } from '../identity/types.js';

export const ANONYMOUS = 'anonymous';

/** Names of token-only callers, made once per verified token (a token is cached and reused). */
const tokenCallers = new WeakMap<VerifiedToken, string>();

/** The peer SPIFFE ID, else `<issuer name>:<sub>` for a token-only caller, else `anonymous`. */
export function callerName(identity: Identity | undefined): string {
  if (identity === undefined) return ANONYMOUS;
  if (identity.peer !== undefined) return identity.peer.spiffeId;
  const token = identity.token;
  if (token === undefined) return ANONYMOUS;
  let name = tokenCallers.get(token);
  if (name === undefined) {
    name = [token.issuer, token.sub].join(':');
    tokenCallers.set(token, name);
  }
  return name;
}
