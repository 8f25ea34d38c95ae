// Finding the one bearer token of a request (RFC 6750 §2.1): exactly one `authorization` header,
// scheme Bearer (any case), one token, bounded size; a token in the query string is refused.
// It does not look inside the token: its syntax is checked by jwt-inspect.ts, and only on a token
// cache miss, since a cached token's exact string already passed (this is the hot path).

import type { Request } from '../decision/types.js';
import { tokenFailure } from './failures.js';
import type { IdentityFailure } from './types.js';

export const DEFAULT_MAX_TOKEN_BYTES = 8 * 1024;

export type BearerResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'failure'; readonly failure: IdentityFailure };

const NONE: BearerResult = Object.freeze({ kind: 'none' });
const failures = new Map<string, BearerResult>();

function failure(detail: Parameters<typeof tokenFailure>[0]): BearerResult {
  let result = failures.get(detail);
  if (result === undefined) {
    result = Object.freeze({ kind: 'failure', failure: tokenFailure(detail) });
    failures.set(detail, result);
  }
  return result;
}

/** The RFC 6750 query parameter; its presence alone denies (the token is in URLs and logs). */
const QUERY_TOKEN = 'access_token';

export function extractBearer(request: Request, maxTokenBytes: number = DEFAULT_MAX_TOKEN_BYTES): BearerResult {
  if (request.queryKeys.includes(QUERY_TOKEN)) return failure('token_in_query');
  const header = request.headers.get('authorization');
  if (header === undefined) return NONE;
  // Checked first so a huge header is never scanned; the slack covers the scheme and spaces.
  if (header.length > maxTokenBytes + 64) return failure('token_too_large');
  // Envoy joins repeated headers with ','; no bearer token contains one.
  if (header.includes(',')) return failure('multiple_authorization');
  const value = header.trim();
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.length !== 6 || scheme.toLowerCase() !== 'bearer') return failure('unsupported_scheme');
  const token = space === -1 ? '' : value.slice(space + 1).trim();
  if (token.length === 0) return failure('empty_token');
  if (token.includes(' ') || token.includes('\t')) return failure('multiple_tokens');
  if (token.length > maxTokenBytes) return failure('token_too_large');
  return { kind: 'token', token };
}
