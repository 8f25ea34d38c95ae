// The failure details are a closed catalog: every one is documented in docs/identity.md, the
// token failures carry the right reason, and the SPIFFE parser's codes are all peer details.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PEER_FAILURE_DETAILS, TOKEN_FAILURE_DETAILS, tokenFailure } from '../../../src/identity/failures.js';
import { parseSpiffeId } from '../../../src/identity/spiffe.js';

const doc = readFileSync(new URL('../../../docs/identity.md', import.meta.url), 'utf8');

describe('failure details', () => {
  it.each([...TOKEN_FAILURE_DETAILS, ...PEER_FAILURE_DETAILS])('%s is documented', (detail) => {
    expect(doc).toContain(`\`${detail}\``);
  });

  it('gives token failures invalid_token, except a JWT-SVID from a foreign domain', () => {
    for (const detail of TOKEN_FAILURE_DETAILS) {
      expect(tokenFailure(detail).reason).toBe(detail === 'svid_untrusted_domain' ? 'untrusted_domain' : 'invalid_token');
    }
  });

  it('covers every error code of the SPIFFE parser', () => {
    const samples = ['', 'x', `spiffe://${'a'.repeat(3000)}`, 'spiffe://', 'spiffe://A', `spiffe://${'a'.repeat(300)}`,
      'spiffe://a/', 'spiffe://a//b', 'spiffe://a/.', 'spiffe://a/%'];
    for (const id of samples) {
      const parsed = parseSpiffeId(id);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(PEER_FAILURE_DETAILS).toContain(parsed.error);
    }
  });
});
