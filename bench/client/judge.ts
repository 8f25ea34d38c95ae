// Whether a decoded CheckResponse carries the decision a bench request must get: allow (OK
// status, ok_response) or deny with the expected reason (the status message). Pure.

import type { Expectation } from './protocol.js';

interface DecodedResponse {
  status?: { code?: number; message?: string };
  ok_response?: unknown;
  denied_response?: unknown;
}

/** undefined when the response matches, else a one-line description of the difference. */
export function judge(response: unknown, expect: Expectation): string | undefined {
  const r = (response ?? {}) as DecodedResponse;
  const code = r.status?.code ?? 0;
  const got = code === 0 && r.ok_response !== undefined && r.denied_response === undefined ? 'allow' : 'deny';
  const reason = got === 'allow' ? 'allow' : r.status?.message ?? '';
  if (got === expect.verdict && reason === expect.reason) return undefined;
  return `expected ${expect.verdict}/${expect.reason}, got ${got}/${reason} (status ${code})`;
}
