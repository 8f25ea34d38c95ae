import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EncodedCheckResponse, encodedAllow, wireResponse } from '../../../src/ext-authz/allow-template.js';
import { encodeCheckResponse } from '../../../src/ext-authz/encode.js';
import { allowResponse, toCheckResponse } from '../../../src/ext-authz/respond.js';
import { decodeCheckRequest } from '../../../src/ext-authz/decode.js';
import { buildCheckRequest } from '../../../src/ext-authz/build.js';
import type { Decision, Request } from '../../../src/decision/types.js';
import type { Identity } from '../../../src/identity/types.js';

const allow: Decision = {
  verdict: 'allow', reason: 'allow', detail: undefined, service: 'payments', selectedBy: 'context_extensions', rule: 'read',
  entry: 0, matchedRules: ['read'], forwardToken: false, generation: 1, trace: [],
};
const NONE = { peer: undefined, token: undefined, peerFailure: undefined, tokenFailure: undefined, tokenPresented: false };
const peerOf = (spiffeId: string): Identity => ({ ...NONE, peer: { spiffeId, trustDomain: 'example.org', path: '/x', source: 'certificate' } });
const tokenOf = (issuer: string, sub: string): Identity => ({
  ...NONE, tokenPresented: true,
  token: { issuer, iss: 'https://idp', sub, aud: [], scopes: [], exp: 2e9, iat: 1, claims: {}, fingerprint: 'f', svid: undefined } as unknown as Identity['token'],
});
const requestWith = (headers: Record<string, string>, token?: string): Request =>
  decodeCheckRequest(buildCheckRequest({ http: 'GET /x', ...(token !== undefined ? { token } : {}), headers }));

/** What the template must write: the generic encoding of the object respond.ts makes. */
const generic = (id: string, d: Decision, r: Request | undefined, i: Identity | undefined): Buffer => encodeCheckResponse(allowResponse(id, d, r, i));

function spliced(id: string, d: Decision, r: Request | undefined, i: Identity | undefined): Buffer {
  const answer = encodedAllow(id, d, r, i);
  if (answer === undefined) throw new Error('no template answer');
  return answer.bytes;
}

describe('encodedAllow (an allow response spliced from its decision’s template)', () => {
  it('writes the generic encoder’s bytes for any decision, caller, spoofed headers and ASCII id', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 80 });
    const asciiId = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 300 });
    const identity = fc.oneof(
      fc.constant(undefined),
      fc.constant(NONE as Identity),
      text.map((s) => peerOf(`spiffe://example.org/${s}`)),
      fc.tuple(text, text).map(([iss, sub]) => tokenOf(iss, sub)),
    );
    const spoofs = fc.subarray(['x-tollgate-rule', 'x-tollgate-caller', 'x-tollgate-decision-id', 'x-tollgate-shadow-deny', 'x-tollgate-other', 'x-other']);
    const call = fc.tuple(asciiId, identity, spoofs, fc.boolean());
    fc.assert(
      fc.property(fc.constantFrom('allow', 'shadow_deny'), text, text, fc.boolean(), fc.array(call, { minLength: 1, maxLength: 4 }), (verdict, service, rule, forwardToken, calls) => {
        const decision: Decision = { ...allow, verdict: verdict as Decision['verdict'], reason: verdict === 'allow' ? 'allow' : 'not_allowed', service, rule, forwardToken };
        // The same decision again and again, as the cache hands it out, to callers and requests alike or not.
        for (const [id, who, spoofed, token] of calls) {
          const request = requestWith(Object.fromEntries(spoofed.map((h) => [h, 'spoof'])), token ? 't' : undefined);
          expect(spliced(id, decision, request, who).equals(generic(id, decision, request, who))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('follows the request when the same decision meets other headers or another caller', () => {
    const decision = { ...allow };
    const plain = requestWith({}, 't');
    const spoofing = requestWith({ 'x-tollgate-caller': 'admin', 'x-tollgate-rule': 'all' }, 't');
    const tokenless = requestWith({});
    const cases: [Request | undefined, Identity | undefined][] = [
      [plain, peerOf('spiffe://example.org/a')],
      [plain, peerOf('spiffe://example.org/b')],
      [spoofing, peerOf('spiffe://example.org/b')],
      [tokenless, peerOf('spiffe://example.org/b')],
      [undefined, undefined],
      [plain, peerOf('spiffe://example.org/a')],
    ];
    for (const [i, [request, who]] of cases.entries()) {
      const id = `req-${i}`;
      expect(wireResponse(encodedAllow(id, decision, request, who)!)).toEqual(allowResponse(id, decision, request, who));
    }
    const removed = wireResponse(encodedAllow('r', decision, spoofing, peerOf('spiffe://example.org/a'))!).ok_response?.headers_to_remove;
    expect(removed).toEqual(['authorization']); // the spoofed headers are overwritten, the token dropped
  });

  it('leaves a deny, and an id that is not ASCII, to the generic path', () => {
    expect(encodedAllow('id', { ...allow, verdict: 'deny', reason: 'not_allowed' }, undefined, undefined)).toBeUndefined();
    expect(encodedAllow('dé', allow, undefined, undefined)).toBeUndefined();
    expect(encodedAllow('de', allow, undefined, undefined)).toBeInstanceOf(EncodedCheckResponse);
  });
});

describe('wireResponse', () => {
  it('gives the object form of an encoded answer, and an object answer as it is', () => {
    const request = requestWith({ 'x-tollgate-other': '1' }, 't');
    const who = tokenOf('corp', 'ü ser');
    expect(wireResponse(encodedAllow('id-1', allow, request, who)!)).toEqual(allowResponse('id-1', allow, request, who));
    const deny = toCheckResponse('id-2', { ...allow, verdict: 'deny', reason: 'not_allowed' }, request, who);
    expect(wireResponse(deny)).toBe(deny);
    expect(wireResponse(new EncodedCheckResponse(encodeCheckResponse(deny)))).toEqual(deny);
  });
});
