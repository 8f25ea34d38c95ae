// `tollgate explain`: decides one request offline, through the server's own Check path, and prints
// the decision with its reasons and the step-by-step trace; with --audit-line it replays a logged
// decision against the current (or another) policy set. Exit 0 let through, 1 denied, 2 usage.

import { decodeCheckRequest } from '../ext-authz/decode.js';
import { createIdentifier } from '../identity/identify.js';
import { assumingClaims } from '../tooling/assumed-identity.js';
import type { AuditLine } from '../tooling/audit-replay.js';
import { asSnapshot, evaluate, type Evaluation } from '../tooling/evaluate.js';
import { evaluationJson, renderEvaluation } from '../tooling/render.js';
import { EXIT_FINDING, EXIT_OK, EXIT_USAGE, formatOf, loadOrReport, parseCommand, policiesDir, requireDirectory, usageFailure } from './args.js';
import { explainInput, type ExplainInput } from './explain-input.js';

export const EXPLAIN_USAGE = `Usage:
  tollgate explain [--policies DIR] --service S (--http "GET /path" | --grpc pkg.Svc/Method)
                   [--spiffe ID] [--certificate PEM_FILE] [--token JWT] [--assume-verified]
                   [--header name=value ...] [--destination ID]
  tollgate explain [--policies DIR] --request CHECK_JSON|- [--service S] [--assume-verified]
  tollgate explain [--policies DIR] --audit-line FILE|- [--decision-id ID] [--service S]

Decides one request offline with the policies in DIR (default: $TOLLGATE_POLICIES, else
./policies), by the same code as the server (decode → select service → identify → decide),
and explains it: decision, reason and detail, the service and why it was selected, the rules
that select the request, every allow/deny entry and why it held or not, and the response.

Inputs:
  --service S           the service (sent as context_extensions["service"], as Envoy does)
  --http "GET /path"    an HTTP request (query strings allowed)
  --grpc pkg.Svc/Method a gRPC call (POST /pkg.Svc/Method, content-type application/grpc)
  --spiffe ID           the mTLS peer's SPIFFE ID (Envoy's source principal)
  --certificate FILE    the peer certificate (PEM) Envoy forwards with include_peer_certificate
  --token JWT           a bearer token, verified against the issuer's configured JWKS
  --assume-verified     take the token's claims as verified (offline: no signature, expiry or
                        lifetime check; the audience and every rule are still checked)
  --header name=value   an extra request header (repeatable)
  --destination ID      the destination principal (selects a policy by its spiffeId)
  --request FILE|-      a CheckRequest in proto3 JSON (camelCase or original field names);
                        --service then acts as the server's --service default
  --audit-line FILE|-   re-evaluate a decision from the audit log (one line, or a log with
                        --decision-id ID): the logged caller is taken as verified. Answers
                        "why was this denied, and would it be allowed now?"
  --format text|json    output format (default text)

Exit codes: 0 the request would be let through (allow, or shadow_deny in dry-run), 1 denied,
2 bad usage, unreadable input or a policy set with errors.

Examples:
  tollgate explain --service payments --http "GET /v1/ledger/7" --spiffe spiffe://example.org/ns/ops/sa/oncall
  tollgate explain --service payments --grpc payments.v1.Ledger/Post --spiffe spiffe://example.org/ns/checkout/sa/api --token "$JWT"
  grep 7f0c2a audit.log | tollgate explain --audit-line - --policies ./new-policies
`;

const OPTIONS = {
  policies: { type: 'string' },
  request: { type: 'string' },
  'audit-line': { type: 'string' },
  'decision-id': { type: 'string' },
  service: { type: 'string' },
  destination: { type: 'string' },
  http: { type: 'string' },
  grpc: { type: 'string' },
  spiffe: { type: 'string' },
  certificate: { type: 'string' },
  token: { type: 'string' },
  header: { type: 'string', multiple: true },
  'assume-verified': { type: 'boolean' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function loggedText(line: AuditLine): string {
  const when = line.time === undefined ? '' : ` at ${new Date(line.time).toISOString()}`;
  const detail = line.detail ? ` (${line.detail})` : '';
  const generation = line.policy_generation === undefined ? '' : `, policy generation ${line.policy_generation}`;
  return `logged: ${line.decision} ${line.reason}${detail}, decision ${line.decision_id}${when}${generation}`;
}

function comparison(line: AuditLine, e: Evaluation): string {
  const was = line.decision === 'allow' ? 'allow' : `${line.decision} ${line.reason}`;
  const d = e.decision;
  const now = d.verdict === 'allow' ? 'allow' : `${d.verdict} ${d.reason}`;
  if (was === now) return `now: ${now}, as logged`;
  return `now: ${now}, was ${was}${d.verdict === 'deny' ? '' : ': the request would be let through now'}`;
}

function print(input: ExplainInput, e: Evaluation, dir: string, format: 'text' | 'json'): void {
  const line = input.logged;
  if (format === 'json') {
    const doc = { policies: dir, ...evaluationJson(e), notes: input.notes, ...(line === undefined ? {} : { logged: line }) };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  if (line !== undefined) out.push(loggedText(line), `replayed against ${dir}:`);
  out.push(...renderEvaluation(e));
  for (const note of input.notes) out.push(`note: ${note}`);
  if (line !== undefined) out.push(comparison(line, e));
  process.stdout.write(`${out.join('\n')}\n`);
}

export async function explainCommand(argv: readonly string[]): Promise<number> {
  let values;
  try {
    values = parseCommand(argv, OPTIONS, false).values;
    if (values.help === true) {
      process.stdout.write(EXPLAIN_USAGE);
      return EXIT_OK;
    }
  } catch (err) {
    return usageFailure('explain', err);
  }
  const dir = policiesDir(values.policies);
  let format: 'text' | 'json';
  try {
    format = formatOf(values.format, ['text', 'json'] as const);
    await requireDirectory(dir);
  } catch (err) {
    return usageFailure('explain', err);
  }
  const loaded = await loadOrReport('explain', dir);
  if (loaded === undefined) return EXIT_USAGE;
  const snapshot = asSnapshot(loaded.snapshot);
  let input: ExplainInput;
  try {
    input = await explainInput(values, snapshot.trust);
  } catch (err) {
    return usageFailure('explain', err);
  }
  // keyWaitMs: offline there is no Envoy timeout to stay within; wait for a slow key server.
  const identifier = createIdentifier({ keyWaitMs: 10_000 });
  try {
    if (input.claims === undefined && decodeCheckRequest(input.wire).headers.has('authorization')) await identifier.configure(snapshot.trust);
    const e = await evaluate(input.wire, snapshot, { identity: assumingClaims(identifier, input.claims), fallbackService: input.fallbackService });
    print(input, e, dir, format);
    return e.decision.verdict === 'deny' ? EXIT_FINDING : EXIT_OK;
  } finally {
    identifier.close();
  }
}
