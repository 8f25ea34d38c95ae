// The JSON Schema committed in schema/ (which the example policies point editors at) is exactly
// what policyJsonSchema() generates from the zod schemas. Regenerate it with
// `UPDATE_SCHEMA=1 npx vitest run test/unit/policy/schema.test.ts`.

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyJsonSchema } from '../../../src/policy/schema.js';

const file = path.resolve(import.meta.dirname, '../../../schema/tollgate-policy.schema.json');
const generated = `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;

describe('policyJsonSchema', () => {
  it('matches the committed schema/tollgate-policy.schema.json', async () => {
    if (process.env['UPDATE_SCHEMA'] === '1') await writeFile(file, generated);
    expect(await readFile(file, 'utf8')).toBe(generated);
  });

  it('describes the three kinds and refuses unknown keys', () => {
    const schema = policyJsonSchema() as { oneOf?: { properties: { kind: { const: string } }; additionalProperties: boolean }[] };
    const kinds = (schema.oneOf ?? []).map((s) => s.properties.kind.const);
    expect(kinds).toEqual(['Trust', 'ServicePolicy', 'PolicyTest']);
    for (const s of schema.oneOf ?? []) expect(s.additionalProperties).toBe(false);
  });
});
