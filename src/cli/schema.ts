// `tollgate schema`: prints the JSON Schema of the policy files, generated from the same zod
// definitions the loader validates with, for editors (yaml-language-server) and CI tools.

import { policyJsonSchema } from '../policy/schema.js';
import { EXIT_OK, parseCommand, usageFailure } from './args.js';

export const SCHEMA_USAGE = `Usage: tollgate schema

Prints the JSON Schema (draft 2020-12) of tollgate policy files — Trust, ServicePolicy and
PolicyTest — on stdout. Point your editor at it, e.g. first line of a policy file:

  # yaml-language-server: $schema=../schema/tollgate-policy.schema.json

and regenerate that file with:  tollgate schema > schema/tollgate-policy.schema.json

The schema checks structure and key names; the cross-file checks (issuer and service
references, duplicates, JWKS files) need tollgate lint. Exit 0, or 2 on bad usage.
`;

export async function schemaCommand(argv: readonly string[]): Promise<number> {
  try {
    const { values } = parseCommand(argv, { help: { type: 'boolean', short: 'h' } }, false);
    if (values.help === true) {
      process.stdout.write(SCHEMA_USAGE);
      return EXIT_OK;
    }
  } catch (err) {
    return usageFailure('schema', err);
  }
  process.stdout.write(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
  return EXIT_OK;
}
