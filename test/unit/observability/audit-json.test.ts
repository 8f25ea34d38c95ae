import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditLine, plainAuditLine } from '../../../src/observability/audit-json.js';
import { JsonOut } from '../../../src/observability/json-out.js';
import { MAX_FIELD_CHARS, auditFields } from '../../../src/observability/audit-line.js';
import type { DecisionRecord } from '../../../src/observability/record.js';
import { decision, denied, identity, record, request, token } from './fixtures.js';

/** What pino wrote for logger.info(auditFields(rec)), as data. */
const viaObject = (rec: DecisionRecord): unknown => JSON.parse(JSON.stringify(auditFields(rec)));
const PREFIX = '{"level":30,"name":"audit"';
/** The line as the trail writes it: the text path's string, or the escaping path's bytes. */
const text = (rec: DecisionRecord): string => {
  const line = auditLine(PREFIX, rec);
  return typeof line === 'string' ? line : Buffer.from(line).toString('utf8');
};
const viaText = (rec: DecisionRecord): unknown => {
  const { level, name, ...members } = JSON.parse(text(rec)) as Record<string, unknown>;
  expect([level, name]).toEqual([30, 'audit']);
  return members;
};

describe('auditLine (the audit line written directly)', () => {
  it('is the text JSON.stringify writes for auditFields, after the prefix, as one line', () => {
    const rec = record({ identity: identity({ token: token(), tokenPresented: true }), latencyUs: 12.4 });
    expect(text(rec)).toBe(`{"level":30,"name":"audit",${JSON.stringify(auditFields(rec)).slice(1)}\n`);
  });

  it('serializes each token and peer of its own, though their parts are kept per object', () => {
    const a = record({ identity: identity({ token: token({ sub: 'alice' }), tokenPresented: true }) });
    const b = record({ identity: identity({ token: token({ sub: 'bob' }), tokenPresented: true }) });
    for (const rec of [a, b, a, b]) expect(viaText(rec)).toEqual(viaObject(rec));
  });

  it('holds the members of auditFields in the same order', () => {
    const rec = record({ identity: identity({ token: token(), tokenPresented: true }) });
    expect(viaText(rec)).toEqual(viaObject(rec));
    expect(Object.keys(viaText(rec) as object)).toEqual(Object.keys(auditFields(rec)));
  });

  it('writes nulls for absent parts, as auditFields does', () => {
    for (const rec of [
      record({ request: undefined, identity: undefined, cache: 'none', decision: denied('malformed_request', { service: '', detail: 'no_http' }) }),
      record({ identity: identity({ peer: undefined, token: token({ jti: undefined }) }), decision: denied('not_allowed') }),
      record({ request: request({ grpcMethod: 'pkg.Svc/Get', rawPath: '/pkg.Svc/Get?x=1' }), latencyUs: 3.5 }),
      record({ decision: decision({ verdict: 'shadow_deny', reason: 'no_rule', rule: '', detail: '' }), time: Number.NaN }),
    ]) {
      expect(viaText(rec)).toEqual(viaObject(rec));
    }
  });

  it('cuts long request strings like auditFields', () => {
    const rec = record({ request: request({ host: 'h'.repeat(MAX_FIELD_CHARS + 10), rawPath: `/${'p'.repeat(MAX_FIELD_CHARS)}` }) });
    expect(viaText(rec)).toEqual(viaObject(rec));
  });

  it('takes the text path for plain request strings and the escaping one otherwise, with the same result', () => {
    const plain = record({ identity: identity({ token: token(), tokenPresented: true }), cache: 'hit' });
    expect(plainAuditLine(PREFIX, plain)).toBe(text(plain));
    for (const odd of [{ rawPath: '/a"b' }, { host: 'h\\x' }, { method: 'G\nET' }, { sourceAddress: 'é' }, { grpcMethod: 'p.S/\u0000' }]) {
      const rec = record({ request: request(odd) });
      expect(plainAuditLine(PREFIX, rec)).toBeUndefined();
      expect(text(rec)).toBe(`${PREFIX},${JSON.stringify(auditFields(rec)).slice(1)}\n`);
    }
  });

  it('keeps a cached decision\'s members with its caller, and follows a decision that meets another caller or request', () => {
    const d = decision({ service: 'orders', rule: 'read' });
    const e = decision({ service: 'billing', rule: 'pay' });
    const recs = [
      record({ decision: d, cache: 'hit', identity: identity({ token: token({ sub: 'alice' }), tokenPresented: true }) }),
      record({ decision: e, cache: 'hit' }),
      record({ decision: d, cache: 'hit', identity: identity({ peer: undefined }), request: request({ rawPath: '/x' }) }),
      record({ decision: d, cache: 'miss' }),
    ];
    for (const rec of [...recs, ...recs]) expect(text(rec)).toBe(`${PREFIX},${JSON.stringify(auditFields(rec)).slice(1)}\n`);
  });

  it('is the text of auditFields for any plain strings and numbers (the text path)', () => {
    const plainChar = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
    const plain = fc.string({ unit: plainChar });
    fc.assert(
      fc.property(plain, plain, plain, fc.oneof(fc.double(), fc.nat()), fc.constantFrom('hit', 'miss', 'none') as fc.Arbitrary<'hit' | 'miss' | 'none'>, (s, t, u, n, cache) => {
        const rec = record({
          decisionId: t,
          time: n,
          cache,
          decision: decision({ service: s, rule: u, detail: s, generation: n }),
          request: request({ method: s, host: t, rawPath: `/${u}`, sourceAddress: t, sourcePrincipal: u, destinationPrincipal: s, grpcMethod: s === '' ? undefined : s }),
          identity: identity({ token: token({ sub: u }), tokenPresented: true }),
          latencyUs: n,
        });
        expect(text(rec)).toBe(`${PREFIX},${JSON.stringify(auditFields(rec)).slice(1)}\n`);
      }),
      { numRuns: 300 },
    );
  });

  it('is valid JSON equal to auditFields for any strings (quotes, control characters, unicode)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.double(), (s, t, list, n) => {
        const tok = token({ sub: s, iss: t, aud: list, scopes: [s, t], exp: n });
        const rec = record({
          decisionId: t,
          decision: decision({ service: s, rule: t, detail: s }),
          request: request({ method: s, host: t, rawPath: `/${s}`, sourceAddress: t, grpcMethod: s }),
          identity: identity({ token: tok, tokenPresented: true }),
          latencyUs: n,
        });
        expect(viaText(rec)).toEqual(viaObject(rec));
      }),
      { numRuns: 300 },
    );
  });
});

describe('JsonOut', () => {
  it('writes what JSON.stringify writes, and gives back the room a huge line took', () => {
    const o = new JsonOut(64);
    const huge = '\u0001'.repeat(5000);
    o.reset();
    o.str(huge);
    expect(o.buf.toString('utf8', 0, o.pos)).toBe(JSON.stringify(huge));
    expect(o.buf.length).toBeGreaterThan(64 * 16);
    o.reset();
    expect(o.buf.length).toBe(64);
    const integers = [9, 10, 99, 100, 99_999_999, 1e8, 100_000_001, 1_000_000_000, 1_795_844_175_028, 1e15 + 7, Number.MAX_SAFE_INTEGER];
    for (const n of [0, 7, -0, -3, 1.5, 2 ** 53, 1e21, Number.NaN, -Infinity, ...integers]) {
      o.reset();
      o.num(n);
      expect(o.buf.toString('utf8', 0, o.pos)).toBe(JSON.stringify(n));
    }
    // Every magnitude up to 2^53, each with a few neighbours (digits carried, zeros kept).
    for (let p = 1; p < 2 ** 53; p *= 7) {
      for (const n of [p - 1, p, p + 1, p * 10 - 1].filter(Number.isSafeInteger)) {
        o.reset();
        o.num(n);
        expect(o.buf.toString('utf8', 0, o.pos)).toBe(String(n));
      }
    }
  });
});
