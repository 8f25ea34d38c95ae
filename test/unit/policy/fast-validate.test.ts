// The fast ServicePolicy validation path against zod: whenever fastServicePolicy returns a value,
// ServicePolicySchema.safeParse must succeed with deep-equal data, key order included, sharing no
// object with the input. Random valid documents, loose ones and mutations (fast-validate-arb.ts,
// FUZZ_RUNS for more), every ServicePolicy in the repository and the bench set, and named cases.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { generateBenchKey } from '../../../bench/fixtures/keys.js';
import { writePolicyDirs } from '../../../bench/fixtures/policies.js';
import { fastServicePolicy } from '../../../src/policy/fast-validate.js';
import { ServicePolicySchema } from '../../../src/policy/schema.js';
import { parseSource } from '../../../src/policy/yaml-source.js';
import { fuzzParams, fuzzRuns, fuzzTimeout } from '../../fuzz/runs.js';
import { yamlFiles } from '../../helpers/yaml-files.js';
import { editsArb, looseDocArb, mutate, oneDefectArb, validDocArb } from './fast-validate-arb.js';

const RUNS = fuzzRuns(1000);

/** Every own key in order (undefined values and symbols included), which JSON.stringify would hide. */
function layout(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return typeof v;
  return Reflect.ownKeys(v).map((k) => [String(k), layout((v as Record<PropertyKey, unknown>)[k])]);
}

function nodes(v: unknown, out = new Set<object>()): Set<object> {
  if (typeof v === 'object' && v !== null && !out.has(v)) {
    out.add(v);
    for (const k of Reflect.ownKeys(v)) nodes((v as Record<PropertyKey, unknown>)[k], out);
  }
  return out;
}

/** Whether `v` is data JSON could spell (no undefined, hidden, symbol or `__proto__` key, no
 *  unusual prototype, no hole): such a document zod accepts must take the fast path. */
function plainData(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return v !== undefined;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== (Array.isArray(v) ? Array.prototype : Object.prototype) || Object.getOwnPropertySymbols(v).length > 0) return false;
  if (Array.isArray(v)) return Object.keys(v).length === v.length && v.every(plainData);
  return Object.getOwnPropertyNames(v).every((k) => k !== '__proto__' && Object.prototype.propertyIsEnumerable.call(v, k) && plainData((v as Record<string, unknown>)[k]));
}

function show(doc: unknown): string {
  return JSON.stringify(doc, (_k, v: unknown) => (v === undefined ? '<undefined>' : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/** Checks the invariant for `doc`; returns which path it took and what zod said. */
function agree(doc: unknown): { took: 'fast' | 'bail'; zod: boolean } {
  const before = show(doc);
  const fast = fastServicePolicy(doc);
  const slow = ServicePolicySchema.safeParse(doc);
  expect(show(doc), 'the input is left alone').toBe(before);
  if (fast === undefined) return { took: 'bail', zod: slow.success };
  expect(slow.success, `fast path accepted what zod refuses: ${before}\n${slow.error?.message}`).toBe(true);
  expect(isDeepStrictEqual(fast, slow.data), `data differ for ${before}: ${show([fast, slow.data])}`).toBe(true);
  expect(JSON.stringify(fast), 'key order').toBe(JSON.stringify(slow.data));
  expect(layout(fast), 'own keys').toEqual(layout(slow.data));
  const inputs = nodes(doc);
  expect([...nodes(fast)].some((n) => inputs.has(n)), 'output shares an object with the input').toBe(false);
  return { took: 'fast', zod: true };
}

describe('fast ServicePolicy validation: differential against zod', () => {
  it('takes the fast path for every generated valid document, with zod’s output', () => {
    fc.assert(
      fc.property(validDocArb, (doc) => {
        expect(agree(doc), show(doc)).toEqual({ took: 'fast', zod: true });
      }),
      fuzzParams(RUNS),
    );
  }, fuzzTimeout(RUNS, 5));

  it('agrees or bails on loose, one-defect and mutated documents, and bails only on unusual valid ones', () => {
    const seen = { fast: 0, zodRefused: 0, bailedExotic: 0 };
    fc.assert(
      fc.property(fc.oneof(validDocArb, looseDocArb, oneDefectArb), editsArb, fc.boolean(), (doc, edits, edit) => {
        const input = edit ? mutate(doc, edits) : doc;
        const { took, zod } = agree(input);
        if (zod && plainData(input)) expect(took, `a valid plain document bailed: ${show(input)}`).toBe('fast');
        if (took === 'fast') seen.fast++;
        else if (zod) seen.bailedExotic++;
        else seen.zodRefused++;
      }),
      fuzzParams(RUNS),
    );
    // Every side of the invariant was exercised (a tiny FUZZ_RUNS may miss one).
    if (RUNS >= 500) {
      expect(seen.fast).toBeGreaterThan(RUNS / 10);
      expect(seen.zodRefused).toBeGreaterThan(RUNS / 10);
      expect(seen.bailedExotic).toBeGreaterThan(0);
    }
  }, fuzzTimeout(RUNS, 10));
});


function servicePolicies(files: readonly string[]): { file: string; data: unknown }[] {
  return files.flatMap((file) => {
    const data: unknown = parseSource(file, readFileSync(file, 'utf8')).source.data;
    const kind = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).kind : undefined;
    return kind === 'ServicePolicy' ? [{ file, data }] : [];
  });
}

describe('fast ServicePolicy validation: real files', () => {
  const found = servicePolicies(yamlFiles('.'));

  it('finds the example and fixture policies', () => {
    expect(found.filter((p) => p.file.startsWith('policies/')).length).toBeGreaterThan(3);
    expect(found.filter((p) => p.file.startsWith('test/fixtures/')).length).toBeGreaterThan(3);
  });

  it.each(found)('$file: fast path when zod accepts, bail when it refuses', ({ file, data }) => {
    const { took, zod } = agree(data);
    expect(took, file).toBe(zod ? 'fast' : 'bail');
    if (file.startsWith('policies/')) expect(took).toBe('fast');
  });

  const root = mkdtempSync(path.join(os.tmpdir(), 'tollgate-fast-validate-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('takes the fast path for the whole bench policy set, with zod’s output', () => {
    const { small, large } = writePolicyDirs(root, generateBenchKey());
    const bench = servicePolicies([...yamlFiles(small), ...yamlFiles(large)]);
    expect(bench.length).toBeGreaterThan(100);
    for (const { file, data } of bench) expect(agree(data), file).toEqual({ took: 'fast', zod: true });
  }, 120_000);
});

const BASE = { kind: 'ServicePolicy', service: 'svc' } as const;
const GET = { http: 'GET /x' } as const;
/** A document with one rule whose allow list is `[entry]`. */
function withEntry(entry: unknown): unknown {
  return { ...BASE, rules: [{ name: 'r', methods: [GET], allow: [entry] }] };
}
function withClaims(claims: unknown): unknown {
  return withEntry({ token: { issuer: 'i', claims } });
}
function hidden(key: string, value: unknown): unknown {
  return Object.defineProperty({ ...BASE }, key, { value, enumerable: false });
}

describe('fast ServicePolicy validation: named cases', () => {
  it('applies the defaults and writes keys in schema order, whatever the input order', () => {
    expect(JSON.stringify(fastServicePolicy({ service: 'svc', kind: 'ServicePolicy' }))).toBe(
      '{"kind":"ServicePolicy","service":"svc","mode":"enforce","forwardToken":true,"rules":[]}',
    );
    const doc = {
      rules: [{ deny: [{ token: { samePeer: true, issuer: 'i' }, spiffe: 'spiffe://e/a' }], methods: [GET], require: ['token'], mode: 'dry-run', name: 'r' }],
      forwardToken: false, mode: 'dry-run', audience: 'aud', spiffeId: 'spiffe://e/svc', service: 'svc', kind: 'ServicePolicy',
    };
    expect(agree(doc).took).toBe('fast');
    const out = fastServicePolicy(doc);
    expect(Object.keys(out ?? {})).toEqual(['kind', 'service', 'spiffeId', 'audience', 'mode', 'forwardToken', 'rules']);
    expect(Object.keys(out?.rules[0] ?? {})).toEqual(['name', 'mode', 'methods', 'require', 'allow', 'deny']);
    expect(Object.keys(out?.rules[0]?.deny[0] ?? {})).toEqual(['spiffe', 'token']);
    expect(Object.keys(out?.rules[0]?.deny[0]?.token ?? {})).toEqual(['issuer', 'samePeer']);
  });

  it.each([
    ['claim keys that look like numbers (JS puts them first, in both outputs)', withClaims({ z: [1], 10: [true], a: ['x', 2], 2: ['y'] })],
    ['a claim named constructor', withClaims({ constructor: ['x'], toString: [1] })],
    ['-0 as a claim value', withClaims({ a: [-0] })],
    ['null-prototype objects', Object.assign(Object.create(null), { ...BASE, rules: [Object.assign(Object.create(null), { name: 'r', methods: [GET] })] })],
    ['a hidden key that is not in the schema (zod does not see it either)', hidden('junk', 1)],
    ['a symbol key (zod’s key check does not see it either)', { ...BASE, [Symbol('s')]: 1 }],
    ['empty require, scopes and claims', withEntry({ token: { issuer: 'i', scopes: [], claims: {} } })],
    ['duplicate rule names and requirements (cross-check.ts reports the former)', { ...BASE, rules: [{ name: 'r', methods: [GET], require: ['mtls', 'mtls'] }, { name: 'r', methods: [GET] }] }],
  ])('%s takes the fast path', (_name, doc) => {
    expect(agree(doc)).toEqual({ took: 'fast', zod: true });
  });

  // Valid for zod, but unusual: the fast path leaves them to it.
  it.each([
    ['an explicit undefined optional key (zod keeps `audience: undefined`)', { ...BASE, audience: undefined }],
    ['an explicit undefined defaulted key', { ...BASE, mode: undefined }],
    ['an explicit undefined second method kind', { ...BASE, rules: [{ name: 'r', methods: [{ http: 'GET /x', grpc: undefined }] }] }],
    ['an own __proto__ claim (zod drops it without a word)', withClaims(JSON.parse('{"__proto__": ["x"], "a": ["y"]}'))],
    ['an inherited key (zod reads it through `in`)', Object.assign(Object.create({ audience: 'x' }), BASE)],
    ['a hidden schema key set to undefined (zod sees it through `in`)', hidden('audience', undefined)],
    ['a class instance', Object.assign(new (class Doc {})(), BASE)],
  ])('%s bails', (_name, doc) => {
    expect(ServicePolicySchema.safeParse(doc).success).toBe(true);
    expect(fastServicePolicy(doc)).toBeUndefined();
  });

  const holes: unknown[] = [GET];
  holes.length = 2;
  it.each([
    ['an array', [BASE]],
    ['null', null],
    ['another kind', { ...BASE, kind: 'Trust' }],
    ['a kind in other case', { ...BASE, kind: 'servicepolicy' }],
    ['an unknown key', { ...BASE, extra: 1 }],
    ['an own __proto__ key', JSON.parse('{"kind":"ServicePolicy","service":"svc","__proto__":{}}')],
    ['a service name with a trailing newline', { ...BASE, service: 'svc\n' }],
    ['a service name of 101 characters', { ...BASE, service: 'x'.repeat(101) }],
    ['a number as the service', { ...BASE, service: 7 }],
    ['a trust-domain spiffeId', { ...BASE, spiffeId: 'spiffe://example.org' }],
    ['a wildcard spiffeId', { ...BASE, spiffeId: 'spiffe://example.org/*' }],
    ['an empty audience', { ...BASE, audience: '' }],
    ['a mode in other case', { ...BASE, mode: 'Enforce' }],
    ['an empty rule mode', { ...BASE, rules: [{ name: 'r', mode: '', methods: [GET] }] }],
    ['forwardToken as a string', { ...BASE, forwardToken: 'true' }],
    ['null rules', { ...BASE, rules: null }],
    ['a rule without methods', { ...BASE, rules: [{ name: 'r', methods: [] }] }],
    ['a hole in methods', { ...BASE, rules: [{ name: 'r', methods: holes }] }],
    ['a method item with grpc and http', { ...BASE, rules: [{ name: 'r', methods: [{ http: 'GET /x', grpc: 'a.B/C' }] }] }],
    ['an empty method item', { ...BASE, rules: [{ name: 'r', methods: [{}] }] }],
    ['an http spec with an empty segment', { ...BASE, rules: [{ name: 'r', methods: [{ http: 'GET /a//b' }] }] }],
    ['a gRPC spec with a leading slash', { ...BASE, rules: [{ name: 'r', methods: [{ grpc: '/a.B/C' }] }] }],
    ['an unknown requirement', { ...BASE, rules: [{ name: 'r', methods: [GET], require: ['jwt'] }] }],
    ['an empty entry', withEntry({})],
    ['a SPIFFE pattern with a wildcard trust domain', withEntry({ spiffe: 'spiffe://*.org/a' })],
    ['a token without issuer', withEntry({ token: { subject: 's' } })],
    ['a token with an empty issuer', withEntry({ token: { issuer: '' } })],
    ['a gRPC spec with a leading space', { ...BASE, rules: [{ name: 'r', methods: [{ grpc: ' a.B/C' }] }] }],
    ['a scope with a no-break space', withEntry({ token: { issuer: 'i', scopes: ['a\u00a0b'] } })],
    ['an infinite claim value', withClaims({ a: [Infinity] })],
    ['a NaN claim value', withClaims({ a: [NaN] })],
    ['a claim without values', withClaims({ a: [] })],
    ['a claim with an empty name', withClaims({ '': ['x'] })],
    ['claims as an array', withClaims([['x']])],
    ['a symbol claim name', withClaims({ a: ['x'], [Symbol('s')]: ['y'] })],
    ['samePeer as a string', withEntry({ token: { issuer: 'i', samePeer: 'yes' } })],
  ])('%s bails (zod refuses)', (_name, doc) => {
    expect(ServicePolicySchema.safeParse(doc).success).toBe(false);
    expect(fastServicePolicy(doc)).toBeUndefined();
  });

  // Arrays that carry their own behaviour: the output is still zod's plain data, whatever they say.
  class Methods extends Array<unknown> {}
  const ownMap = Object.assign([GET], { map: () => [{ http: 'GET /evil' }] });
  const species = Object.assign([GET], { constructor: { [Symbol.species]: Methods } });
  it.each([
    ['an Array subclass', { ...BASE, rules: [{ name: 'r', methods: Methods.from([GET]) }] }],
    ['an array with its own map', { ...BASE, rules: [{ name: 'r', methods: ownMap }] }],
    ['an array with a species constructor', { ...BASE, rules: [{ name: 'r', methods: species }] }],
  ])('%s: the fast path agrees with zod', (_name, doc) => {
    expect(agree(doc).zod).toBe(true);
  });

  it('never throws, even when reading the input throws', () => {
    const doc = Object.defineProperty({ ...BASE }, 'audience', { enumerable: true, get: () => { throw new Error('boom'); } });
    expect(fastServicePolicy(doc)).toBeUndefined();
  });
});
