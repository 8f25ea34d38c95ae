// selectService: context_extensions["service"] > destination principal > --service, and an
// explicitly named service without a policy never falls through to another policy.

import { beforeAll, describe, expect, it } from 'vitest';
import { selectService } from '../../../src/decision/select.js';
import { EMPTY_SNAPSHOT } from '../../../src/policy/store.js';
import type { PolicySnapshot } from '../../../src/policy/types.js';
import { req, snapshotOf } from './fixtures.js';

const svc = (name: string, id?: string) => `kind: ServicePolicy\nservice: ${name}\n${id === undefined ? '' : `spiffeId: ${id}\n`}rules: []\n`;
const PAY = 'spiffe://example.org/ns/payments/sa/api';

let snap: PolicySnapshot;
beforeAll(async () => {
  snap = await snapshotOf({ 'a.yaml': svc('payments', PAY), 'b.yaml': svc('ledger'), 'c.yaml': svc('fallback') });
});

describe('selectService', () => {
  it('prefers context_extensions over the destination principal and the default', () => {
    const s = selectService(req({ service: 'ledger', destination: PAY }), snap, 'fallback');
    expect([s.service?.name, s.selectedBy, s.requested]).toEqual(['ledger', 'context_extensions', 'ledger']);
  });

  it('a named service without a policy selects nothing (no fall-through)', () => {
    const s = selectService(req({ service: 'ledgr', destination: PAY }), snap, 'fallback');
    expect([s.service, s.selectedBy, s.requested]).toEqual([undefined, 'context_extensions', 'ledgr']);
  });

  it('uses the destination principal when it is a policy spiffeId', () => {
    const s = selectService(req({ destination: PAY }), snap, 'fallback');
    expect([s.service?.name, s.selectedBy]).toEqual(['payments', 'destination_principal']);
  });

  it('falls back to --service when the principal matches no policy', () => {
    const s = selectService(req({ destination: 'spiffe://example.org/ns/x/sa/y' }), snap, 'fallback');
    expect([s.service?.name, s.selectedBy, s.requested]).toEqual(['fallback', 'default', 'fallback']);
  });

  it('reports a default without a policy, and nothing when nothing names a service', () => {
    expect(selectService(req(), snap, 'gone')).toMatchObject({ service: undefined, selectedBy: 'default', requested: 'gone' });
    expect(selectService(req(), snap, undefined)).toMatchObject({ service: undefined, selectedBy: 'none', requested: '' });
    expect(selectService(req({ service: '' }), snap, undefined).selectedBy).toBe('none');
  });

  it('selects nothing from the empty snapshot', () => {
    expect(selectService(req({ service: 'payments' }), EMPTY_SNAPSHOT, undefined).service).toBeUndefined();
  });
});
