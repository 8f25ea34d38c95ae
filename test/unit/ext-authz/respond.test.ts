import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allowResponse, callerOf, decisionIdFor, denyResponse, headerSafe, toCheckResponse } from '../../../src/ext-authz/respond.js';
import { decodeCheckRequest } from '../../../src/ext-authz/decode.js';
import { buildCheckRequest } from '../../../src/ext-authz/build.js';
import { DENY_REASONS, DENY_REASON_CODES } from '../../../src/decision/reasons.js';
import type { Decision } from '../../../src/decision/types.js';
import type { Identity } from '../../../src/identity/types.js';

const allow: Decision = {
  verdict: 'allow', reason: 'allow', detail: undefined, service: 'payments', selectedBy: 'context_extensions', rule: 'read',
  entry: 0, matchedRules: ['read'], forwardToken: true, generation: 1, trace: [],
};
const tokenOnly: Identity = {
  peer: undefined, peerFailure: undefined, tokenFailure: undefined, tokenPresented: true,
  token: { issuer: 'corp-idp', iss: 'https://idp', sub: 'svc-reporting', jti: undefined, kid: 'k', aud: ['payments'], scopes: [], exp: 1, iat: 0, claims: {}, svid: undefined, fingerprint: 'f' },
};

describe('responses (product.md §3)', () => {
  it('uses a sane x-request-id as the decision id, else a fresh one', () => {
    expect(decisionIdFor('abc-1.2:3_x')).toBe('abc-1.2:3_x');
    for (const bad of ['', 'a b', 'x'.repeat(129), 'é', 'a\nb']) {
      const id = decisionIdFor(bad);
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('names a token-only caller <issuer>:<sub> and percent-encodes unsafe header bytes', () => {
    expect(callerOf(tokenOnly)).toBe('corp-idp:svc-reporting');
    expect(headerSafe('a b\r\nx')).toBe('a%20b%0D%0Ax');
    expect(headerSafe('spiffe://example.org/a')).toBe('spiffe://example.org/a');
    expect(headerSafe('100%')).toBe('100%25');
  });

  it('keeps exactly the request ids and header values made of their allowed characters (any string)', () => {
    const idChar = (c: number): boolean => /[A-Za-z0-9._:-]/.test(String.fromCharCode(c));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 140 }), fc.stringMatching(/^[A-Za-z0-9._:%-]{0,130}$/)), (s) => {
        const saneId = s.length > 0 && s.length <= 128 && [...s].every((ch) => ch.length === 1 && idChar(ch.charCodeAt(0)));
        if (saneId) expect(decisionIdFor(s)).toBe(s);
        else expect(decisionIdFor(s)).not.toBe(s);
        const visible = [...s].every((ch) => ch.length === 1 && ch.charCodeAt(0) >= 0x21 && ch.charCodeAt(0) <= 0x7e && ch !== '%');
        expect(headerSafe(s)).toBe(visible ? s : encodeURIComponent(s));
      }),
      { numRuns: 500 },
    );
    expect(decisionIdFor('x'.repeat(128))).toBe('x'.repeat(128));
  });

  it('removes spoofed x-tollgate-* headers but never one it sets, and authorization when forwardToken is false', () => {
    const request = decodeCheckRequest(buildCheckRequest({
      http: 'GET /x', token: 't', headers: { 'x-tollgate-caller': 'spiffe://evil/x', 'x-tollgate-shadow-deny': 'no', 'X-Tollgate-Other': '1' },
    }));
    const r = allowResponse('id', { ...allow, forwardToken: false }, request, tokenOnly);
    const set = r.ok_response!.headers.map((h) => h.header.key);
    expect(set).toEqual(['x-tollgate-decision-id', 'x-tollgate-caller', 'x-tollgate-rule']);
    expect(r.ok_response!.headers_to_remove.sort()).toEqual(['authorization', 'x-tollgate-other', 'x-tollgate-shadow-deny']);
    for (const key of set) expect(r.ok_response!.headers_to_remove).not.toContain(key);
    expect(r.ok_response!.headers.every((h) => h.append_action === 2)).toBe(true);
  });

  it('keeps authorization when forwardToken is true', () => {
    const request = decodeCheckRequest(buildCheckRequest({ http: 'GET /x', token: 't' }));
    expect(allowResponse('id', allow, request, tokenOnly).ok_response!.headers_to_remove).toEqual([]);
  });

  it('marks a shadow deny without a rule header', () => {
    const shadow: Decision = { ...allow, verdict: 'shadow_deny', reason: 'not_allowed', rule: '', entry: -1 };
    const r = toCheckResponse('id', shadow, undefined, tokenOnly);
    expect(r.status.code).toBe(0);
    const headers = Object.fromEntries(r.ok_response!.headers.map((h) => [h.header.key, h.header.value]));
    expect(headers).toEqual({ 'x-tollgate-decision-id': 'id', 'x-tollgate-caller': 'corp-idp:svc-reporting', 'x-tollgate-shadow-deny': 'not_allowed' });
    expect(r.dynamic_metadata.fields.decision?.stringValue).toBe('shadow_deny');
  });

  it.each(DENY_REASON_CODES)('denies %s with the catalog status and a body that names only the reason', (reason) => {
    const d: Decision = { ...allow, verdict: 'deny', reason, rule: '', entry: -1, detail: 'secret-detail' };
    const r = denyResponse('d-1', d, tokenOnly);
    const info = DENY_REASONS[reason];
    expect(r.status.code).toBe(info.grpc);
    expect(r.denied_response!.status.code).toBe(info.http);
    expect(JSON.parse(r.denied_response!.body)).toEqual({ error: info.http === 401 ? 'unauthenticated' : 'forbidden', reason, decision_id: 'd-1' });
    expect(r.denied_response!.body).not.toContain('secret-detail');
    const keys = r.denied_response!.headers.map((h) => h.header.key);
    expect(keys.includes('www-authenticate')).toBe(info.http === 401);
    expect(r.ok_response).toBeUndefined();
    expect(r.dynamic_metadata.fields.reason?.stringValue).toBe(reason);
  });
});
