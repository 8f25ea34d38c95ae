// A service whose compile throws (a bug: validation accepted it): loaded at once, the set fails to
// load as it always did; loaded by the store, which compiles after the swap, the failure is
// logged and that service's checks are denied internal_error. compileService is made to throw
// for the service named `broken`; everything else is the real code on real files.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decide } from '../../../src/decision/decide.js';
import { selectService } from '../../../src/decision/select.js';
import { formatProblem, loadPolicyDir } from '../../../src/policy/load.js';
import { createPolicyStore } from '../../../src/policy/store.js';
import { identityFromCase, requestFromCase } from '../../../src/policy/test-cases.js';
import { PUBLIC_JWKS } from '../decision/fixtures.js';

vi.mock('../../../src/policy/compile.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/policy/compile.js')>();
  return {
    ...real,
    compileService: (...args: Parameters<typeof real.compileService>) => {
      if (args[0].service === 'broken') throw new Error('boom');
      return real.compileService(...args);
    },
  };
});

const TRUST = 'kind: Trust\ntrustDomains: [example.org]\nissuers:\n  idp:\n    issuer: https://idp\n    jwks: { file: jwks/idp.json }\n    algorithms: [ES256]\n';
const open = (name: string) => `kind: ServicePolicy\nservice: ${name}\nrules:\n  - name: r\n    methods: [{ http: GET /x }]\n    allow: [{ spiffe: spiffe://example.org/** }]\n`;

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function policyDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-compile-'));
  dirs.push(dir);
  await mkdir(path.join(dir, 'jwks'));
  await writeFile(path.join(dir, 'jwks', 'idp.json'), PUBLIC_JWKS);
  await writeFile(path.join(dir, 'trust.yaml'), TRUST);
  await writeFile(path.join(dir, 'good.yaml'), open('good'));
  await writeFile(path.join(dir, 'broken.yaml'), open('broken'));
  return dir;
}

describe('a service whose compile throws', () => {
  it('fails a load that compiles at once (the CLI tools), as it always did', async () => {
    const loaded = await loadPolicyDir(await policyDir());
    expect(loaded.ok ? [] : loaded.problems.map(formatProblem)).toEqual([expect.stringMatching(/internal error while loading: boom$/)]);
  });

  it('is logged by the store once it has compiled the set, and its checks deny internal_error', async () => {
    const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const store = createPolicyStore({ dir: await policyDir(), logger, holdWarnings: true });
    try {
      expect(await store.load()).toEqual({ ok: true, generation: 1 });
      const snapshot = store.current();
      const outcome = (service: string) => {
        const c = { request: { kind: 'http', method: 'GET', path: '/x' }, caller: { spiffe: 'spiffe://example.org/a' } } as never;
        const request = requestFromCase(c, service);
        const d = decide(request, identityFromCase(c, snapshot.trust, service), snapshot, selectService(request, snapshot, undefined));
        return [d.verdict, d.reason, d.detail];
      };
      expect(outcome('broken')).toEqual(['deny', 'internal_error', 'service_not_compiled']);
      const compiled = new Promise<object>((resolve) => {
        logger.info.mockImplementation((fields: object, msg?: string) => msg === 'policy set compiled' && resolve(fields));
      });
      store.releaseWarnings();
      expect(await compiled).toMatchObject({ generation: 1, services: 2, failed: 1 });
      expect(logger.error).toHaveBeenCalledWith(
        expect.objectContaining({ service: 'broken', err: expect.objectContaining({ message: 'boom' }) }),
        'service broken failed to compile; its checks are denied internal_error',
      );
      expect(outcome('broken')).toEqual(['deny', 'internal_error', 'service_not_compiled']);
      expect(outcome('good')).toEqual(['allow', 'allow', undefined]);
    } finally {
      store.close();
    }
  });
});
