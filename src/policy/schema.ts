// The zod 4 schemas of the three policy file kinds (Trust, ServicePolicy, PolicyTest), with
// checks of pattern syntax, names, durations and algorithms, and the JSON Schema generated from
// the same definitions. Checks across files (references, duplicates) live in cross-check.ts.

import { z } from 'zod';
import { checkTrustDomain, parseSpiffeId } from '../identity/spiffe.js';
import { DURATION_PATTERN } from './duration.js';
import { nameSchema } from './names.js';
import { parseGrpcSpec, parseHttpSpec } from './method-spec.js';
import type { Parsed } from './method-spec.js';
import { parseSpiffePattern } from './spiffe-pattern.js';
import { PolicyTestSchema } from './test-schema.js';

export { PolicyTestSchema };

/** Asymmetric JOSE algorithms; shared-secret (HS*) and `none` are refused on purpose. */
export const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

const name = nameSchema;
const duration = z.string().regex(DURATION_PATTERN, { error: 'a duration is like 500ms, 30s, 5m, 1h or 1h30m' });
const mode = z.enum(['enforce', 'dry-run'], { error: 'mode must be enforce or dry-run' });

/** A string checked by a parser of ours: the parser's message becomes the issue. */
function parsedBy(parse: (text: string) => Parsed<unknown>) {
  return z.string().superRefine((text, ctx) => {
    const result = parse(text);
    if (!result.ok) ctx.addIssue({ code: 'custom', message: result.error });
  });
}

const spiffePattern = parsedBy(parseSpiffePattern);
const spiffeId = parsedBy((text) => {
  const parsed = parseSpiffeId(text);
  if (!parsed.ok) return { ok: false, error: `invalid SPIFFE ID "${text}" (${parsed.error})` };
  if (parsed.id.path === '') return { ok: false, error: `"${text}" names a trust domain, not a workload` };
  return { ok: true, value: parsed.id };
});
const trustDomain = parsedBy((text) => {
  const error = checkTrustDomain(text);
  return error === undefined ? { ok: true, value: text } : { ok: false, error: `invalid trust domain "${text}" (${error}): lower-case a-z 0-9 . - _ only` };
});

const algorithm = z.enum(ALGORITHMS, {
  error: (issue) => {
    const input = String(issue.input);
    if (/^(HS\d+|none)$/i.test(input)) return `algorithm ${input} is refused: shared-secret (HS*) and none algorithms are never accepted`;
    return `unknown algorithm ${input} (allowed: ${ALGORITHMS.join(', ')})`;
  },
});

const jwks = z
  .strictObject({
    file: z.string().min(1).optional(),
    url: z.string().min(1).optional(),
    refresh: duration.optional(),
    cooldown: duration.optional(),
    timeout: duration.optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.file === undefined) === (v.url === undefined)) ctx.addIssue({ code: 'custom', message: 'jwks needs exactly one of file or url' });
    if (v.file !== undefined) {
      for (const key of ['refresh', 'cooldown', 'timeout'] as const) {
        if (v[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} applies to a jwks url only` });
      }
    }
    if (v.url !== undefined) {
      const error = checkJwksUrl(v.url);
      if (error !== undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: error });
    }
  });

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** https, or plain http to a loopback host only (a local key server, never across a network). */
function checkJwksUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `jwks url "${text}" is not a URL`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return undefined;
  return `jwks url "${text}" must use https (plain http only to 127.0.0.1, [::1] or localhost)`;
}

export const IssuerSchema = z
  .strictObject({
    issuer: z.string().min(1),
    svid: z.boolean().default(false),
    jwks,
    algorithms: z.array(algorithm).min(1, { error: 'algorithms lists at least one algorithm' }),
    maxLifetime: duration.default('1h'),
    clockSkew: duration.default('30s'),
  })
  .superRefine((v, ctx) => {
    v.algorithms.forEach((alg, i) => {
      if (v.svid && (alg === 'EdDSA' || alg === 'Ed25519')) {
        ctx.addIssue({ code: 'custom', path: ['algorithms', i], message: `a JWT-SVID issuer accepts RS*, ES* and PS* algorithms only, not ${alg}` });
      }
    });
  });

export const TrustSchema = z.strictObject({
  kind: z.literal('Trust'),
  trustDomains: z.array(trustDomain).min(1, { error: 'trustDomains lists at least one trust domain' }).describe('SPIFFE trust domains whose IDs are accepted; any other domain is refused.'),
  trustXfcc: z.boolean().default(false).describe('Read x-forwarded-client-cert (only behind an Envoy that sanitizes it).'),
  issuers: z.record(name('an issuer name'), IssuerSchema).default({}).describe('Token issuers by name; service policies refer to these names.'),
  revoked: z
    .strictObject({
      spiffeIds: z.array(spiffeId).default([]),
      tokenIds: z.array(z.string().min(1)).default([]),
      keyIds: z.array(z.string().min(1)).default([]),
    })
    .default({ spiffeIds: [], tokenIds: [], keyIds: [] }),
});

const methodItem = z
  .strictObject({ grpc: parsedBy(parseGrpcSpec).optional(), http: parsedBy(parseHttpSpec).optional() })
  .superRefine((v, ctx) => {
    if ((v.grpc === undefined) === (v.http === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a method item has exactly one of grpc or http' });
    }
  });

const claimValue = z.union([z.string(), z.number(), z.boolean()], { error: 'a claim value is a string, number or boolean' });

const tokenEntry = z.strictObject({
  issuer: z.string().min(1),
  subject: z.string().min(1).optional(),
  scopes: z.array(z.string().regex(/^\S+$/, { error: 'a scope has no spaces' })).optional(),
  claims: z.record(z.string().min(1), z.array(claimValue).min(1, { error: 'a claim lists at least one allowed value' })).optional(),
  samePeer: z.boolean().optional(),
});

const entry = z
  .strictObject({ spiffe: spiffePattern.optional(), token: tokenEntry.optional() })
  .superRefine((v, ctx) => {
    if (v.spiffe === undefined && v.token === undefined) ctx.addIssue({ code: 'custom', message: 'an entry needs spiffe, token or both' });
  });

export const RuleSchema = z.strictObject({
  name: name('a rule name'),
  mode: mode.optional(),
  methods: z.array(methodItem).min(1, { error: 'a rule selects at least one method' }).describe('http: "GET|HEAD /path/**" or grpc: "pkg.Service/Get*" items.'),
  require: z.array(z.enum(['mtls', 'token'], { error: 'require lists mtls and/or token' })).optional().describe('Credentials that must be present and valid.'),
  allow: z.array(entry).default([]).describe('Alternatives; an entry with spiffe and token needs both.'),
  deny: z.array(entry).default([]).describe('A holding deny entry denies (explicit_deny), whatever allows.'),
});

/** fast-validate.ts mirrors this schema for start-up speed: change both (its differential test
 *  against this schema fails on a difference the generators reach). */
export const ServicePolicySchema = z.strictObject({
  kind: z.literal('ServicePolicy'),
  service: name('a service name').describe('Service name, selected by context_extensions["service"] or --service.'),
  spiffeId: spiffeId.optional().describe('Selects this policy when it is the destination principal.'),
  audience: z.string().min(1).optional().describe('Tokens must carry this aud (default: the service name).'),
  mode: mode.default('enforce').describe('dry-run lets denied requests through as shadow denies.'),
  forwardToken: z.boolean().default(true).describe('false: strip the authorization header before the upstream.'),
  rules: z.array(RuleSchema).default([]),
});

export type TrustDoc = z.output<typeof TrustSchema>;
export type IssuerDoc = z.output<typeof IssuerSchema>;
export type ServicePolicyDoc = z.output<typeof ServicePolicySchema>;
export type RuleDoc = z.output<typeof RuleSchema>;
export type EntryDoc = z.output<typeof entry>;

/** The JSON Schema of every policy file kind, generated from the zod schemas above. */
export function policyJsonSchema(): object {
  const any = z.discriminatedUnion('kind', [TrustSchema, ServicePolicySchema, PolicyTestSchema]);
  const generated = z.toJSONSchema(any, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...generated,
    title: 'tollgate policy file (Trust, ServicePolicy or PolicyTest)',
  };
}
