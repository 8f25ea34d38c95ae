// The command line a newcomer meets: `tollgate --help`, `<command> --help` and `help <command>`
// for every command, `tollgate schema` (the committed schema file is its output), unknown commands.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tollgate } from './cli-run.js';

const COMMANDS = ['serve', 'check', 'lint', 'explain', 'test', 'schema', 'coverage'];

describe('tollgate help', () => {
  it('--help lists every command and exits 0', async () => {
    const r = await tollgate(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^ {2}tollgate ${c} `, 'm'));
  });

  it.each(COMMANDS)('%s --help and help %s print the command usage and exit 0', async (command) => {
    const flag = await tollgate([command, '--help']);
    expect(flag.code).toBe(0);
    expect(flag.stdout).toMatch(new RegExp(`^Usage:(\\n)? +tollgate ${command}\\b`));
    expect(flag.stderr).toBe('');
    const word = await tollgate(['help', command]);
    expect(word.stdout).toBe(flag.stdout);
  });

  it('exits 2 on an unknown command, with one line on stderr', async () => {
    const r = await tollgate(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tollgate: unknown command "frobnicate" (see tollgate --help)\n');
  });
});

describe('tollgate schema', () => {
  it('prints the JSON Schema the example policies point editors at', async () => {
    const r = await tollgate(['schema']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(await readFile(join(ROOT, 'schema/tollgate-policy.schema.json'), 'utf8'));
    const schema = JSON.parse(r.stdout) as { oneOf: { properties: { kind: { const: string } } }[] };
    expect(schema.oneOf.map((s) => s.properties.kind.const)).toEqual(['Trust', 'ServicePolicy', 'PolicyTest']);
  });

  it('every example policy file carries the yaml-language-server schema comment', async () => {
    const files = (await readdir(join(ROOT, 'policies'))).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect((await readFile(join(ROOT, 'policies', f), 'utf8')).split('\n')[0], f).toBe('# yaml-language-server: $schema=../schema/tollgate-policy.schema.json');
    }
  });

  it('takes no arguments', async () => {
    const r = await tollgate(['schema', '--pretty']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tollgate schema: unknown option --pretty (see tollgate schema --help)\n');
  });
});
