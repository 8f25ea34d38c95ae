// Finding the bearer token: one authorization header, scheme Bearer in any case, one token, a
// size limit, and no token in the query string; each refusal with its detail.

import { describe, expect, it } from 'vitest';
import { extractBearer } from '../../../src/identity/bearer.js';
import { identityRequest } from '../../helpers/tokens.js';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

function extract(authorization: string | undefined, queryKeys: readonly string[] = [], max?: number) {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  return extractBearer(identityRequest({ headers, queryKeys }), max);
}

describe('extractBearer', () => {
  it('finds nothing when there is no authorization header', () => {
    expect(extract(undefined)).toEqual({ kind: 'none' });
    expect(extract(undefined, ['page', 'token'])).toEqual({ kind: 'none' });
  });

  it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])('takes the token with scheme %s', (scheme) => {
    expect(extract(`${scheme} ${JWT}`)).toEqual({ kind: 'token', token: JWT });
  });

  it('tolerates extra spaces around the token', () => {
    expect(extract(`Bearer   ${JWT}  `)).toEqual({ kind: 'token', token: JWT });
  });

  it.each([
    [`Bearer ${JWT}, Bearer ${JWT}`, 'multiple_authorization'],
    [`Bearer ${JWT},Basic dXNlcjpwdw==`, 'multiple_authorization'],
    ['Basic dXNlcjpwdw==', 'unsupported_scheme'],
    [`Bearer-${JWT}`, 'unsupported_scheme'],
    [`Token ${JWT}`, 'unsupported_scheme'],
    [JWT, 'unsupported_scheme'],
    ['Bearer', 'empty_token'],
    ['Bearer    ', 'empty_token'],
    [`Bearer ${JWT} ${JWT}`, 'multiple_tokens'],
    [`Bearer ${JWT}\t${JWT}`, 'multiple_tokens'],
  ])('refuses %j: %s', (authorization, detail) => {
    expect(extract(authorization)).toEqual({ kind: 'failure', failure: { reason: 'invalid_token', detail } });
  });

  it('leaves the token syntax to the JWT checks', () => {
    expect(extract('Bearer tö"k')).toEqual({ kind: 'token', token: 'tö"k' });
  });

  it('refuses a token over the size limit (default 8 KiB), but not one at it', () => {
    const atLimit = 'a'.repeat(8192);
    expect(extract(`Bearer ${atLimit}`)).toEqual({ kind: 'token', token: atLimit });
    expect(extract(`Bearer ${atLimit}a`)).toMatchObject({ failure: { detail: 'token_too_large' } });
    expect(extract(`Bearer ${'a'.repeat(100_000)}`)).toMatchObject({ failure: { detail: 'token_too_large' } });
    expect(extract(`Bearer ${JWT}`, [], 10)).toMatchObject({ failure: { detail: 'token_too_large' } });
  });

  it('refuses a token in the query string, with or without a header', () => {
    expect(extract(undefined, ['access_token'])).toEqual({ kind: 'failure', failure: { reason: 'invalid_token', detail: 'token_in_query' } });
    expect(extract(`Bearer ${JWT}`, ['x', 'access_token'])).toMatchObject({ failure: { detail: 'token_in_query' } });
  });
});
