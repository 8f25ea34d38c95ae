// The request `tollgate explain` evaluates, from one of its three inputs: a CheckRequest JSON file,
// an audit log line, or flags (--service, --http/--grpc, --spiffe, --token, ...). Bad input is a
// UsageError (exit 2). Evaluating it is evaluate.ts's job.

import { readFile } from 'node:fs/promises';
import { buildCheckRequest, type CheckRequestSpec } from '../ext-authz/build.js';
import { decodeCheckRequest } from '../ext-authz/decode.js';
import type { TrustConfig } from '../policy/types.js';
import { claimsFromJwt, type AssumedClaims } from '../tooling/assumed-identity.js';
import { pickAuditLine, replayOf, type AuditLine } from '../tooling/audit-replay.js';
import { checkRequestFromJson } from '../tooling/check-json.js';
import { UsageError } from './args.js';

export interface ExplainFlags {
  readonly request?: string | undefined;
  readonly 'audit-line'?: string | undefined;
  readonly 'decision-id'?: string | undefined;
  readonly service?: string | undefined;
  readonly destination?: string | undefined;
  readonly http?: string | undefined;
  readonly grpc?: string | undefined;
  readonly spiffe?: string | undefined;
  readonly certificate?: string | undefined;
  readonly token?: string | undefined;
  readonly header?: string[] | undefined;
  readonly 'assume-verified'?: boolean | undefined;
}

export interface ExplainInput {
  readonly wire: unknown;
  /** Token claims to take as verified; undefined: a presented token is really verified. */
  readonly claims: AssumedClaims | undefined;
  /** The server's --service equivalent (request and audit-line inputs). */
  readonly fallbackService: string | undefined;
  readonly logged: AuditLine | undefined;
  readonly notes: readonly string[];
}

const BUILDING_FLAGS = ['http', 'grpc', 'spiffe', 'certificate', 'token', 'header', 'destination'] as const;

async function readInput(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${file} (${err.code ?? err.message})`);
  });
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function headerRecord(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--header expects name=value, got "${v}"`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export async function explainInput(flags: ExplainFlags, trust: TrustConfig): Promise<ExplainInput> {
  const sources = [flags.request, flags['audit-line'], flags.http ?? flags.grpc].filter((v) => v !== undefined).length;
  if (sources !== 1) throw new UsageError('give one of --request FILE, --audit-line FILE, or --http/--grpc with --service');
  if (flags.request !== undefined || flags['audit-line'] !== undefined) {
    const extra = BUILDING_FLAGS.find((f) => flags[f] !== undefined);
    if (extra !== undefined) throw new UsageError(`--${extra} cannot be combined with --request or --audit-line`);
  }
  if (flags.request !== undefined) return fromRequestFile(flags, trust);
  if (flags['audit-line'] !== undefined) return fromAuditLine(flags['audit-line'], flags, trust);
  return fromFlags(flags, trust);
}

async function fromRequestFile(flags: ExplainFlags, trust: TrustConfig): Promise<ExplainInput> {
  const file = flags.request ?? '-';
  let json: unknown;
  try {
    json = JSON.parse(await readInput(file));
  } catch (err) {
    throw err instanceof UsageError ? err : new UsageError(`${file} is not JSON (${(err as Error).message})`);
  }
  const converted = checkRequestFromJson(json);
  if (!converted.ok) throw new UsageError(`${file}: not a CheckRequest: ${converted.error}`);
  const notes = converted.ignored.length === 0 ? [] : [`ignored fields unknown to the CheckRequest proto: ${converted.ignored.join(', ')}`];
  const claims = flags['assume-verified'] === true ? claimsOfWire(converted.wire, trust) : undefined;
  return { wire: converted.wire, claims, fallbackService: flags.service, logged: undefined, notes: [...notes, ...assumedNote(claims)] };
}

/** The bearer token of the request, as the decoder finds it, read without verification. */
function claimsOfWire(wire: unknown, trust: TrustConfig): AssumedClaims | undefined {
  const auth = decodeCheckRequest(wire).headers.get('authorization');
  return auth === undefined ? undefined : jwtClaims(auth, trust);
}

function jwtClaims(jwt: string, trust: TrustConfig): AssumedClaims {
  try {
    return claimsFromJwt(jwt, trust);
  } catch (err) {
    throw new UsageError(`the token is not a readable JWT (${(err as Error).message})`);
  }
}

function assumedNote(claims: AssumedClaims | undefined): string[] {
  if (claims === undefined) return [];
  const notes = ['--assume-verified: the token claims are taken as verified (signature, expiry and lifetime are not checked)'];
  const exp = claims['exp'];
  if (typeof exp === 'number' && exp * 1000 < Date.now()) notes.push(`the token expired at ${new Date(exp * 1000).toISOString()}; a live check would deny it`);
  return notes;
}

async function fromAuditLine(file: string, flags: ExplainFlags, trust: TrustConfig): Promise<ExplainInput> {
  const picked = pickAuditLine(await readInput(file), flags['decision-id']);
  if (!picked.ok) throw new UsageError(`${file}: ${picked.error}`);
  const line = picked.line;
  const replay = replayOf(line, trust);
  if (replay === undefined) throw new UsageError(`${file}: the audit line has no request (its CheckRequest could not be decoded): nothing to replay`);
  const notes = ['the logged caller is taken as verified (its credentials are not checked again)'];
  if (replay.claims !== undefined) notes.push('only the token fields an audit line keeps (issuer, sub, aud, scopes, jti, exp) are replayed: `claims:` entries cannot hold');
  if (line.caller.token === null && line.reason === 'invalid_token') notes.push('the logged token failed verification and tokens are never logged: the replay has no token');
  const wire = buildCheckRequest(replay.spec);
  return { wire, claims: replay.claims, fallbackService: flags.service, logged: line, notes };
}

async function fromFlags(flags: ExplainFlags, trust: TrustConfig): Promise<ExplainInput> {
  if (flags.http !== undefined && flags.grpc !== undefined) throw new UsageError('give --http or --grpc, not both');
  if (flags.service === undefined && flags.destination === undefined) throw new UsageError('name the service: --service NAME (or --destination SPIFFE_ID)');
  const token = flags.token?.replace(/^bearer\s+/i, '');
  const spec: CheckRequestSpec = {
    ...(flags.grpc !== undefined ? { grpc: flags.grpc } : { http: flags.http ?? '' }),
    service: flags.service,
    principal: flags.spiffe,
    // Envoy forwards the peer certificate as URL-encoded PEM.
    certificate: flags.certificate === undefined ? undefined : encodeURIComponent(await readInput(flags.certificate)),
    destinationPrincipal: flags.destination,
    token,
    headers: headerRecord(flags.header ?? []),
  };
  let wire: unknown;
  try {
    wire = buildCheckRequest(spec);
  } catch (err) {
    throw new UsageError(`--http ${(err as Error).message}`);
  }
  const claims = flags['assume-verified'] === true && token !== undefined ? jwtClaims(token, trust) : undefined;
  return { wire, claims, fallbackService: undefined, logged: undefined, notes: assumedNote(claims) };
}
