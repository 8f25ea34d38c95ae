// A fast path for ServicePolicySchema: plain loops over parsed YAML data that return exactly what
// zod's safeParse would (schema key order, defaults, fresh arrays) for an ordinary valid document,
// and undefined for anything invalid or unusual. It never explains a failure: the caller then runs
// zod, which has the final word and the messages. Checks across files are cross-check.ts's.

import { parseSpiffeId } from '../identity/spiffe.js';
import { isGrpcSpec, isHttpSpec } from './method-spec.js';
import { packedMap } from './packed.js';
import { NAME_PATTERN } from './names.js';
import type { EntryDoc, RuleDoc, ServicePolicyDoc } from './schema.js';
import { isSpiffePattern } from './spiffe-pattern.js';

type Obj = Record<string, unknown>;
type MethodDoc = RuleDoc['methods'][number];
type TokenDoc = NonNullable<EntryDoc['token']>;
type Mode = ServicePolicyDoc['mode'];

// The keys of each strictObject in schema.ts; anything else is an unknown key (zod rejects it).
const POLICY_KEYS: ReadonlySet<string> = new Set(['kind', 'service', 'spiffeId', 'audience', 'mode', 'forwardToken', 'rules']);
const RULE_KEYS: ReadonlySet<string> = new Set(['name', 'mode', 'methods', 'require', 'allow', 'deny']);
const METHOD_KEYS: ReadonlySet<string> = new Set(['grpc', 'http']);
const ENTRY_KEYS: ReadonlySet<string> = new Set(['spiffe', 'token']);
const TOKEN_KEYS: ReadonlySet<string> = new Set(['issuer', 'subject', 'scopes', 'claims', 'samePeer']);
/** The scope check of schema.ts, same expression (no `g` flag: `test` keeps no state). */
const SCOPE = /^\S+$/;

// Thrown to give up and caught in fastServicePolicy: the checks stay one-liners, and nothing
// escapes this module. A plain frozen object, so throwing it captures no stack.
const BAIL = Object.freeze({ bail: true });

function bail(): never {
  throw BAIL;
}

/**
 * The ServicePolicySchema output for `data`, or undefined when the fast path cannot vouch for it
 * (invalid, or valid but unusual): then run the schema. A value is returned only when
 * `ServicePolicySchema.safeParse(data)` succeeds, and it is deep-equal to zod's, key order included.
 */
export function fastServicePolicy(data: unknown): ServicePolicyDoc | undefined {
  try {
    return policy(data);
  } catch {
    // BAIL, or anything unexpected (an exotic input): either way zod decides.
    return undefined;
  }
}

function policy(data: unknown): ServicePolicyDoc {
  const o = object(data, POLICY_KEYS);
  if (o.kind !== 'ServicePolicy') bail();
  // Assigned one by one in schema order: zod's output follows the schema, not the input.
  const out = {} as ServicePolicyDoc;
  out.kind = 'ServicePolicy';
  out.service = name(o.service);
  const spiffeId = field(o, 'spiffeId');
  if (spiffeId !== undefined) out.spiffeId = workloadId(spiffeId);
  const audience = field(o, 'audience');
  if (audience !== undefined) out.audience = nonEmpty(audience);
  const mode = field(o, 'mode');
  out.mode = mode === undefined ? 'enforce' : modeOf(mode);
  const forwardToken = field(o, 'forwardToken');
  out.forwardToken = forwardToken === undefined ? true : boolean(forwardToken);
  const rules = field(o, 'rules');
  out.rules = rules === undefined ? [] : list(rules, 0, rule);
  return out;
}

function rule(v: unknown): RuleDoc {
  const o = object(v, RULE_KEYS);
  const out = {} as RuleDoc;
  out.name = name(o.name);
  const mode = field(o, 'mode');
  if (mode !== undefined) out.mode = modeOf(mode);
  out.methods = list(o.methods, 1, method);
  const required = field(o, 'require');
  if (required !== undefined) out.require = list(required, 0, requirement);
  const allow = field(o, 'allow');
  out.allow = allow === undefined ? [] : list(allow, 0, entry);
  const deny = field(o, 'deny');
  out.deny = deny === undefined ? [] : list(deny, 0, entry);
  return out;
}

/** Exactly one of grpc or http. */
function method(v: unknown): MethodDoc {
  const o = object(v, METHOD_KEYS);
  const grpc = field(o, 'grpc');
  const http = field(o, 'http');
  if ((grpc === undefined) === (http === undefined)) bail();
  return grpc !== undefined ? { grpc: checkedBy(grpc, isGrpcSpec) } : { http: checkedBy(http, isHttpSpec) };
}

/** spiffe, token or both. */
function entry(v: unknown): EntryDoc {
  const o = object(v, ENTRY_KEYS);
  const spiffe = field(o, 'spiffe');
  const token = field(o, 'token');
  if (spiffe === undefined && token === undefined) bail();
  const out = {} as EntryDoc;
  if (spiffe !== undefined) out.spiffe = checkedBy(spiffe, isSpiffePattern);
  if (token !== undefined) out.token = tokenEntry(token);
  return out;
}

function tokenEntry(v: unknown): TokenDoc {
  const o = object(v, TOKEN_KEYS);
  const out = {} as TokenDoc;
  out.issuer = nonEmpty(o.issuer);
  const subject = field(o, 'subject');
  if (subject !== undefined) out.subject = nonEmpty(subject);
  const scopes = field(o, 'scopes');
  if (scopes !== undefined) out.scopes = list(scopes, 0, scope);
  const claims = field(o, 'claims');
  if (claims !== undefined) out.claims = claimRecord(claims);
  const samePeer = field(o, 'samePeer');
  if (samePeer !== undefined) out.samePeer = boolean(samePeer);
  return out;
}

/**
 * z.record(z.string().min(1), z.array(claimValue).min(1)): zod walks the own keys, drops an own
 * `__proto__` key without a word and refuses symbol keys; here both bail.
 */
function claimRecord(v: unknown): Record<string, (string | number | boolean)[]> {
  plain(v);
  if (Object.getOwnPropertySymbols(v).length !== 0) bail();
  const keys = Object.keys(v);
  const out: Record<string, (string | number | boolean)[]> = {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key === '' || key === '__proto__') bail();
    out[key] = list((v as Obj)[key], 1, claimValue);
  }
  return out;
}

/** A non-array object whose prototype is Object.prototype or null, as YAML and JSON give. */
function plain(v: unknown): asserts v is Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bail();
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) bail();
}

/** A plain object with no key outside `keys` (zod's strict check walks keys with for...in too). */
function object(v: unknown, keys: ReadonlySet<string>): Obj {
  plain(v);
  for (const key in v) if (!keys.has(key)) bail();
  return v;
}

/** An optional or defaulted key's value. zod counts a key as given when `key in o`, even with the
 *  value undefined (and then outputs `key: undefined`): such a key bails. */
function field(o: Obj, key: string): unknown {
  const v = o[key];
  if (v === undefined && key in o) bail();
  return v;
}

/** A fresh plain array of `each(item)`, at least `min` long, exactly as long as `v` (packed.ts).
 *  Not `v.map`: an own `map`, an Array subclass or a species would decide the result instead of
 *  zod's rules. A hole reads undefined, which every `each` refuses. */
function list<T>(v: unknown, min: number, each: (item: unknown) => T): T[] {
  if (!Array.isArray(v) || v.length < min) bail();
  return packedMap(v as readonly unknown[], each);
}

function string(v: unknown): string {
  if (typeof v !== 'string') bail();
  return v;
}

function nonEmpty(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) bail();
  return v;
}

function boolean(v: unknown): boolean {
  if (typeof v !== 'boolean') bail();
  return v;
}

function name(v: unknown): string {
  const s = string(v);
  if (!NAME_PATTERN.test(s)) bail();
  return s;
}

function modeOf(v: unknown): Mode {
  if (v !== 'enforce' && v !== 'dry-run') bail();
  return v;
}

function requirement(v: unknown): 'mtls' | 'token' {
  if (v !== 'mtls' && v !== 'token') bail();
  return v;
}

function scope(v: unknown): string {
  const s = string(v);
  if (!SCOPE.test(s)) bail();
  return s;
}

/** z.union([z.string(), z.number(), z.boolean()]); z.number() refuses NaN and ±Infinity. */
function claimValue(v: unknown): string | number | boolean {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  return bail();
}

/**
 * Method and SPIFFE patterns are only checked (a property test holds each check equal to its
 * parser): a large set has ~60,000, and building them is left to compiling, which the server does
 * after it is serving (service-table.ts).
 */
function checkedBy(v: unknown, holds: (text: string) => boolean): string {
  const s = string(v);
  if (!holds(s)) bail();
  return s;
}

/** schema.ts's spiffeId: a valid SPIFFE ID that names a workload, not a bare trust domain. */
function workloadId(v: unknown): string {
  const s = string(v);
  const parsed = parseSpiffeId(s);
  if (!parsed.ok || parsed.id.path === '') bail();
  return s;
}
