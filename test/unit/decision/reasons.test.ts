import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DENY_REASONS, NEVER_SHADOWED } from '../../../src/decision/reasons.js';

const GRPC_NAMES: Record<number, string> = { 0: 'OK', 7: 'PERMISSION_DENIED', 16: 'UNAUTHENTICATED' };

describe('docs/reasons.md', () => {
  const doc = readFileSync(new URL('../../../docs/reasons.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| (\S+) \| (\d+) (\S+) \| (.+) \|$/gm)].map((m) => ({
    code: m[1], http: m[2], grpc: Number(m[3]), grpcName: m[4], meaning: m[5],
  }));

  it('tables exactly the codes of the catalog, with the same statuses and meanings', () => {
    expect(rows.map((r) => r.code)).toEqual(['allow', ...Object.keys(DENY_REASONS)]);
    for (const row of rows.slice(1)) {
      const info = DENY_REASONS[row.code as keyof typeof DENY_REASONS];
      expect(row.http).toBe(String(info.http));
      expect(row.grpc).toBe(info.grpc);
      expect(row.grpcName).toBe(GRPC_NAMES[info.grpc]);
      expect(row.meaning).toBe(info.meaning);
    }
  });

  it('names the reasons dry-run never shadows', () => {
    const line = doc.split('\n').find((l) => l.startsWith('`no_policy`, `revoked`'));
    for (const reason of NEVER_SHADOWED) expect(line ?? '').toContain(`\`${reason}\``);
  });

  it('matches product.md: 401 for credential problems, 403 for the rest', () => {
    const unauthenticated = Object.entries(DENY_REASONS).filter(([, i]) => i.http === 401).map(([c]) => c);
    expect(unauthenticated.sort()).toEqual(['invalid_token', 'missing_credential', 'no_credentials']);
  });
});
