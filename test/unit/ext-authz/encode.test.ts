import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCheckResponse } from '../../../src/ext-authz/encode.js';
import { authorizationService } from '../../../src/ext-authz/proto.js';
import { allowResponse, denyResponse, type WireCheckResponse } from '../../../src/ext-authz/respond.js';
import { decodeCheckRequest } from '../../../src/ext-authz/decode.js';
import { buildCheckRequest } from '../../../src/ext-authz/build.js';
import { DENY_REASON_CODES } from '../../../src/decision/reasons.js';
import type { Decision } from '../../../src/decision/types.js';
import type { Identity } from '../../../src/identity/types.js';

const check = authorizationService().Check!;
const generic = (r: WireCheckResponse): Buffer => check.responseSerialize(r);
const decode = (b: Buffer): unknown => check.responseDeserialize(b);

const allow: Decision = {
  verdict: 'allow', reason: 'allow', detail: undefined, service: 'payments', selectedBy: 'context_extensions', rule: 'read',
  entry: 0, matchedRules: ['read'], forwardToken: false, generation: 1, trace: [],
};
const peer: Identity = {
  peer: { spiffeId: 'spiffe://example.org/ns/a/sa/b', trustDomain: 'example.org', path: '/ns/a/sa/b', source: 'certificate' },
  token: undefined, peerFailure: undefined, tokenFailure: undefined, tokenPresented: false,
};
const request = decodeCheckRequest(buildCheckRequest({ http: 'GET /x', token: 't', headers: { 'x-tollgate-rule': 'spoof', 'x-tollgate-other': '1' } }));

describe('encodeCheckResponse (CheckResponse written directly)', () => {
  it('writes the same bytes as the proto-loader serializer for every response tollgate makes', () => {
    const responses: WireCheckResponse[] = [
      allowResponse('dec-1', allow, request, peer),
      allowResponse('dec-2', { ...allow, forwardToken: true }, undefined, undefined),
      allowResponse('dec-3', { ...allow, verdict: 'shadow_deny', reason: 'not_allowed', rule: '' }, request, peer),
      { status: { code: 0 } } as unknown as WireCheckResponse,
      ...DENY_REASON_CODES.map((reason) => denyResponse('dec-4', { ...allow, verdict: 'deny', reason, rule: '' }, peer)),
    ];
    for (const r of responses) expect(encodeCheckResponse(r).equals(generic(r))).toBe(true);
  });

  it('matches the serializer for any header, body and metadata text (unicode, quotes, control characters)', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 300 });
    fc.assert(
      fc.property(text, text, text, fc.array(text, { maxLength: 3 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (a, b, c, remove, code) => {
        const r: WireCheckResponse = {
          status: { code, message: a },
          ok_response: { headers: [{ header: { key: a, value: b }, append_action: 2 }], headers_to_remove: remove },
          dynamic_metadata: { fields: { [a]: { stringValue: b }, caller: { stringValue: c } } },
        };
        const d: WireCheckResponse = {
          status: { code, message: c },
          denied_response: { status: { code: 403 }, headers: [{ header: { key: b, value: c }, append_action: 2 }], body: a },
          dynamic_metadata: { fields: {} },
        };
        for (const x of [r, d]) {
          expect(encodeCheckResponse(x).equals(generic(x))).toBe(true);
          expect(decode(encodeCheckResponse(x))).toEqual(decode(generic(x)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what it does not encode exactly, leaving it to the generic serializer', () => {
    expect(() => encodeCheckResponse({ status: { code: -1 }, dynamic_metadata: { fields: {} } })).toThrow(RangeError);
  });
});
