// ServicePolicy-like data for the fast-validate differential test: documents built from pools of
// valid text (`validDocArb`: every one must pass zod and take the fast path), the same with pools
// that mix in invalid text and wrong types (`looseDocArb`), valid documents with one value made
// wrong for its field (`oneDefectArb`), and edits that bend a document in the ways plain JSON
// cannot (explicit undefined, `__proto__` keys, hidden or symbol keys, prototypes, holes) as well
// as the ways it can (unknown, missing, wrong-typed, nested values).

import fc from 'fast-check';

type Obj = Record<string, unknown>;
const ABSENT = Symbol('absent');

const NAMES = ['a', '0', 'payments', 'ledger-read', 'A.b_c-D', 'x'.repeat(100)];
const BAD_NAMES = ['', '-a', '.a', '_a', 'a b', 'x'.repeat(101), 'a\n', 'é', 'a/b', 'a:b', ' a', 'a*'];
const HTTP = ['GET /x', '* /**', 'GET|HEAD /v1/ledger/**', 'POST /v1/a/*/b', ' GET /x ', 'GET\t/x', 'DELETE /', 'GET /a/', 'GET /é', "M!#$%&'+.^_`~- /x"];
const BAD_HTTP = ['GET', '/x', 'GET x', 'GET /a//b', 'GET /a/../b', 'GET /a/./b', 'GET /a?b', 'GET /a#b', 'G*T /x', 'GET /x y', 'GET| /x', '', 'GET /a\\b', 'get  /x\u0000'];
const GRPC = ['pkg.S/M', 'a.b.C/Get*', '**', 'pkg.S/**', '*/*', 'p_1.S/M_2', '**/x/y'];
const BAD_GRPC = ['/pkg.S/M', 'pkg.S', 'a/b/c', 'pkg S/M', '', 'pkg.S/M ', 'pkg-x.S/M', 'a//b', 'GET /x'];
const PATTERNS = ['spiffe://example.org/ns/a', 'spiffe://example.org/**', 'spiffe://a.b-c_d/x/*/y', 'spiffe://example.org/ns/*', 'spiffe://e/A-Z.x_1'];
const BAD_PATTERNS = ['spiffe://example.org', 'spiffe://Example.org/a', 'spiffe://*.org/a', 'SPIFFE://example.org/a', 'spiffe://example.org/a/', 'spiffe://example.org/a//b', 'spiffe://example.org/./a', 'spiffe://example.org/a b', 'spiffe:///a', ''];
const IDS = ['spiffe://example.org/ns/payments/sa/api', 'spiffe://e/a', 'spiffe://x.y/A.b-c_d'];
const BAD_IDS = ['spiffe://example.org', 'spiffe://example.org/*', 'spiffe://example.org/a/', 'x', '', 'spiffe://EX.org/a', `spiffe://example.org/${'a'.repeat(2100)}`];
const TEXT = ['corp-idp', 'mesh', 'https://idp.example.org', 'é', ' ', 'svc', 'spiffe://example.org/ns/*', 'a b'];
const SCOPES = ['a', 'ledger.read', 'x:y', 'é', '*'];
const BAD_SCOPES = ['', 'a b', 'a\u00a0b', ' a', 'a\n', 'a\u2028', '\ufeff'];
const BAD_CLAIM_KEYS = ['', '__proto__'];
const CLAIM_KEYS = ['tenant', 'a', '10', '2', '0', '-1', 'constructor', 'toString', 'hasOwnProperty', 'é', ' ', 'valueOf'];
const CLAIM_VALUES = ['blue', '', 0, -0, 1.5, -7, 1e300, true, false];
const BAD_CLAIM_VALUES = [NaN, Infinity, -Infinity, null, undefined, [], {}, ['x']];
const MODES = ['enforce', 'dry-run'];
const BAD_MODES = ['Enforce', 'dryrun', '', 'shadow'];

/** Every key of every object in the schema, and some that are in none. */
export const KEYS = [
  'kind', 'service', 'spiffeId', 'audience', 'mode', 'forwardToken', 'rules', 'name', 'methods', 'require', 'allow', 'deny',
  'grpc', 'http', 'spiffe', 'token', 'issuer', 'subject', 'scopes', 'claims', 'samePeer',
  'x', 'constructor', 'toString', 'hasOwnProperty', '', 'Kind', 'kind ', '0', 'length', 'valueOf',
];

/** Values of every type, and strings that are valid somewhere else in the schema. Fresh objects each time. */
export const wildArb: fc.Arbitrary<unknown> = fc
  .constantFrom<unknown>(
    null, undefined, 0, -0, 1, 1.5, NaN, Infinity, true, false, '', 'x', 'ServicePolicy', 'enforce', 'dry-run', 'mtls', 'token',
    'GET /x', 'pkg.S/M', 'spiffe://example.org/a', 'spiffe://example.org', 'a b', 'true', '1', [], ['x'], [1], [null], {},
    { http: 'GET /x' }, { grpc: 'pkg.S/M' }, { issuer: 'i' }, { spiffe: 'spiffe://example.org/a' }, { token: { issuer: 'i' } },
    { name: 'r', methods: [{ http: 'GET /x' }] }, { a: ['x'] }, [[{ http: 'GET /x' }]],
  )
  .map(clone);

function pool(good: readonly unknown[], bad: readonly unknown[], loose: boolean): fc.Arbitrary<unknown> {
  if (!loose) return fc.constantFrom(...good);
  // Mostly good, so that a loose document often has exactly one defect and the rest must be right.
  const some = bad.length > 0 ? [{ weight: 2, arbitrary: fc.constantFrom(...bad) }] : [];
  return fc.oneof({ weight: 24, arbitrary: fc.constantFrom(...good) }, ...some, { weight: 1, arbitrary: wildArb });
}

/** One of `usual`, now and then one of `odd`. */
function rare<T>(usual: fc.Arbitrary<T>[], odd: fc.Arbitrary<T>[]): fc.Arbitrary<T> {
  return fc.oneof(...usual.map((arbitrary) => ({ weight: 8, arbitrary })), ...odd.map((arbitrary) => ({ weight: 1, arbitrary })));
}

function opt(arb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.option(arb, { nil: ABSENT, freq: 2 });
}

/** An object of the fields that are not ABSENT, in an order that `seed` shuffles; `loose`, now
 *  and then one more key (often one of another object of the schema). */
function object(fields: Record<string, fc.Arbitrary<unknown>>, loose = false): fc.Arbitrary<Obj> {
  const none = fc.constant(undefined);
  const extra = loose ? fc.oneof({ weight: 15, arbitrary: none }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...KEYS), wildArb) }) : none;
  return fc.tuple(fc.record(fields), fc.nat(), extra).map(([record, seed, more]) => {
    const entries = Object.entries(record).filter(([, v]) => v !== ABSENT);
    if (more !== undefined && !(more[0] in record)) entries.push(more);
    let s = seed;
    for (let i = entries.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const j = s % (i + 1);
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    // fromEntries defines keys as data properties, so even a `__proto__` key stays a key.
    return Object.fromEntries(entries);
  });
}

function parts(loose: boolean) {
  const name = fc.oneof(fc.constantFrom(...NAMES), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/));
  const text = loose ? pool(TEXT, [''], true) : fc.constantFrom(...TEXT);
  const claimValues = fc.array(pool(CLAIM_VALUES, BAD_CLAIM_VALUES, loose), { minLength: loose ? 0 : 1, maxLength: 3 });
  const claims = fc
    .array(fc.tuple(pool(CLAIM_KEYS, BAD_CLAIM_KEYS, loose) as fc.Arbitrary<string>, claimValues), { maxLength: 3 })
    .map((pairs) => Object.fromEntries(pairs));
  const token = object({
    issuer: text,
    subject: opt(text),
    scopes: opt(fc.array(pool(SCOPES, BAD_SCOPES, loose), { maxLength: 3 })),
    claims: opt(loose ? fc.oneof({ weight: 12, arbitrary: claims }, { weight: 1, arbitrary: wildArb }) : claims),
    samePeer: opt(pool([true, false], ['true', 1, null], loose)),
  }, loose);
  const spiffe = pool(PATTERNS, BAD_PATTERNS, loose);
  const entry = rare(
    [object({ spiffe }, loose), object({ token }, loose), object({ spiffe, token }, loose)],
    loose ? [object({}), object({ spiffe: opt(spiffe), token: opt(token), x: opt(wildArb) })] : [],
  );
  const method = rare(
    [object({ http: pool(HTTP, BAD_HTTP, loose) }, loose), object({ grpc: pool(GRPC, BAD_GRPC, loose) }, loose)],
    loose ? [object({}), object({ http: pool(HTTP, [], false), grpc: pool(GRPC, [], false) })] : [],
  );
  const list = <T>(arb: fc.Arbitrary<T>, min: number) => {
    const right = fc.array(arb, { minLength: min, maxLength: 3 });
    return loose && min > 0 ? rare([right], [fc.constant([])]) : right;
  };
  return { name: loose ? fc.oneof(name, pool(NAMES, BAD_NAMES, true)) : name, entry, method, list };
}

function docArb(loose: boolean): fc.Arbitrary<Obj> {
  const { name, entry, method, list } = parts(loose);
  const rule = object({
    name,
    mode: opt(pool(MODES, BAD_MODES, loose)),
    methods: list(method, 1),
    require: opt(fc.array(pool(['mtls', 'token'], ['MTLS', 'jwt', ''], loose), { maxLength: 3 })),
    allow: opt(list(entry, 0)),
    deny: opt(list(entry, 0)),
  }, loose);
  return object({
    kind: pool(['ServicePolicy'], ['Trust', 'servicepolicy', 'ServicePolicy '], loose),
    service: name,
    spiffeId: opt(pool(IDS, BAD_IDS, loose)),
    audience: opt(pool(TEXT, [''], loose)),
    mode: opt(pool(MODES, BAD_MODES, loose)),
    forwardToken: opt(pool([true, false], ['false', 0, null], loose)),
    rules: opt(fc.array(rule, { maxLength: 4 })),
  }, loose);
}

/** Documents zod accepts, written with keys in any order and optional keys left out at random. */
export const validDocArb = docArb(false);
/** Documents whose text and types are drawn from pools that mix valid and invalid. */
export const looseDocArb = docArb(true);

const BAD_BY_FIELD: Readonly<Record<string, readonly unknown[]>> = {
  kind: ['Trust', 'servicepolicy', 'ServicePolicy ', '', null],
  service: BAD_NAMES, name: BAD_NAMES, spiffeId: BAD_IDS, audience: ['', 1], issuer: ['', 1], subject: ['', null],
  mode: BAD_MODES, forwardToken: ['true', 0, null], samePeer: ['false', 1, null],
  http: BAD_HTTP, grpc: BAD_GRPC, spiffe: BAD_PATTERNS,
  scopes: BAD_SCOPES, require: ['MTLS', 'jwt', '', null], claimValue: BAD_CLAIM_VALUES, claimKey: BAD_CLAIM_KEYS,
};
/** Text made of the characters the patterns and names are built from, mostly invalid. */
const soupArb = fc.array(fc.constantFrom(...'GETspife:/.org*|?#\\ \t-_A1é'), { maxLength: 24 }).map((cs) => cs.join(''));

interface Slot { readonly node: Obj; readonly key: string; readonly field: string }

/** Every scalar of `v` and every claim name, with the field it fills. */
function slots(v: unknown, field: string, out: Slot[] = []): Slot[] {
  if (typeof v !== 'object' || v === null) return out;
  for (const [key, x] of Object.entries(v)) {
    const f = Array.isArray(v) ? field : field === 'claims' ? 'claimValue' : key;
    if (field === 'claims') out.push({ node: v as Obj, key, field: 'claimKey' });
    if (typeof x === 'object' && x !== null) slots(x, f, out);
    else out.push({ node: v as Obj, key, field: f });
  }
  return out;
}

/** A valid document with exactly one value (or claim name) made wrong for its field. */
export const oneDefectArb: fc.Arbitrary<unknown> = fc.tuple(validDocArb, fc.nat(), fc.nat(), soupArb).map(([doc, at, pick, soup]) => {
  const copy = clone(doc);
  const all = slots(copy, '');
  const { node, key, field } = all[at % all.length] as Slot;
  const bad = BAD_BY_FIELD[field] ?? [];
  const value = pick % (bad.length + 1) === bad.length ? soup : bad[pick % (bad.length + 1)];
  if (field === 'claimKey') {
    const values = node[key];
    delete node[key];
    Object.defineProperty(node, String(value), { value: values, enumerable: true, writable: true, configurable: true });
  } else node[key] = value;
  return copy;
});

export interface Edit { readonly at: number; readonly pick: number; readonly op: Op; readonly key: string; readonly value: unknown }
type Op = 'delete' | 'set' | 'add' | 'undefined' | 'protoKey' | 'hidden' | 'symbol' | 'nullProto' | 'inherit' | 'instance' | 'hole' | 'wrap' | 'nest' | 'dup';
const OPS: Op[] = ['delete', 'set', 'add', 'undefined', 'protoKey', 'hidden', 'symbol', 'nullProto', 'inherit', 'instance', 'hole', 'wrap', 'nest', 'dup'];

export const editsArb: fc.Arbitrary<Edit[]> = fc.array(
  fc.record({ at: fc.nat(), pick: fc.nat(), op: fc.constantFrom(...OPS), key: fc.constantFrom(...KEYS), value: wildArb }),
  { minLength: 1, maxLength: 3 },
);

class Stranger {}

/** A copy of `doc` with the edits applied, each to one of its objects or arrays. */
export function mutate(doc: unknown, edits: readonly Edit[]): unknown {
  const copy = clone(doc);
  for (const edit of edits) {
    const nodes = containers(copy);
    try {
      apply(nodes[edit.at % nodes.length] as Obj, edit);
    } catch {
      // An edit the engine refuses (an array's length set to a string, say) is skipped.
    }
  }
  return copy;
}

function apply(node: Obj, { pick, op, key, value }: Edit): void {
  const keys = Object.keys(node);
  const some = keys.length === 0 ? key : (keys[pick % keys.length] as string);
  const define = (k: string, enumerable: boolean) => Object.defineProperty(node, k, { value, enumerable, writable: true, configurable: true });
  switch (op) {
    case 'delete': delete node[some]; break;
    case 'set': define(some, true); break;
    case 'add': define(Array.isArray(node) ? String(keys.length) : key, true); break;
    case 'undefined': node[some] = undefined; break;
    case 'protoKey': define('__proto__', true); break;
    case 'hidden': define(key, false); break;
    case 'symbol': node[Symbol('s') as unknown as string] = value; break;
    case 'nullProto': Object.setPrototypeOf(node, null); break;
    case 'inherit': Object.setPrototypeOf(node, Object.fromEntries([[key, value]])); break;
    case 'instance': Object.setPrototypeOf(node, pick % 2 === 0 ? Stranger.prototype : Object.create(null)); break;
    case 'hole': if (Array.isArray(node)) node.length += 1; else delete node[some]; break;
    case 'wrap': node[some] = [node[some]]; break;
    case 'nest': node[some] = { [some]: node[some] }; break;
    case 'dup': if (Array.isArray(node) && node.length > 0) node.push(clone(node[pick % node.length])); else node[some] = clone(node[some]); break;
  }
}

function containers(v: unknown, out: object[] = []): object[] {
  if (typeof v === 'object' && v !== null) {
    out.push(v);
    for (const key of Object.keys(v)) containers((v as Obj)[key], out);
  }
  return out;
}

/** A deep copy of plain data (own enumerable keys, `__proto__` kept as a key, undefined kept). */
export function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]));
  return v;
}
