// Picks the service policy for a request (product.md §1 step 2): context_extensions["service"],
// else the destination principal matching a policy's spiffeId, else the server's --service.
// Pure; it never falls through from an explicitly named service that has no policy.

import type { CompiledService, PolicySnapshot } from '../policy/types.js';
import type { Request, SelectedBy } from './types.js';

export interface Selection {
  /** undefined: no policy for what was requested (the decision is `no_policy`). */
  readonly service: CompiledService | undefined;
  readonly selectedBy: SelectedBy;
  /** The service name that was asked for ('' when nothing named one). */
  readonly requested: string;
}

export function selectService(request: Request, snapshot: PolicySnapshot, fallback: string | undefined): Selection {
  const named = request.contextExtensions.get('service');
  if (named !== undefined && named !== '') {
    // An explicit route-level choice is final: a typo must deny, not land on another policy.
    return { service: snapshot.services.get(named), selectedBy: 'context_extensions', requested: named };
  }
  const destination = request.destinationPrincipal;
  if (destination !== '') {
    const byPrincipal = snapshot.byDestination.get(destination);
    if (byPrincipal !== undefined) return { service: byPrincipal, selectedBy: 'destination_principal', requested: byPrincipal.name };
  }
  if (fallback !== undefined && fallback !== '') {
    return { service: snapshot.services.get(fallback), selectedBy: 'default', requested: fallback };
  }
  return { service: undefined, selectedBy: 'none', requested: '' };
}
