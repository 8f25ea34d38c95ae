// The caller's name as the inventory (and the x-tollgate-caller header) print it. Naming only:
// it establishes nothing and is never matched against a policy.

import type { Identity } from '../identity/types.js';

export const ANONYMOUS = 'anonymous';

/** The peer SPIFFE ID, else `<issuer name>:<sub>` for a token-only caller, else `anonymous`. */
export function callerName(identity: Identity | undefined): string {
  if (identity === undefined) return ANONYMOUS;
  if (identity.peer !== undefined) return identity.peer.spiffeId;
  const token = identity.token;
  if (token !== undefined) return `${token.issuer}:${token.sub}`;
  return ANONYMOUS;
}
