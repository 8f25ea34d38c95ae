#!/usr/bin/env node
// The `tollgate` command: dispatches to one module per sub-command. Exit codes: 0 success,
// 1 a finding (lint errors, failed policy tests), 2 bad usage or configuration.

import { USAGE } from './usage.js';

type Command = (argv: readonly string[]) => Promise<number>;

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  serve: async () => (await import('./serve.js')).serve,
  check: async () => (await import('./check.js')).checkCommand,
  lint: async () => (await import('./lint.js')).lintCommand,
  explain: async () => (await import('./explain.js')).explainCommand,
  test: async () => (await import('./policy-test.js')).testCommand,
  schema: async () => (await import('./schema.js')).schemaCommand,
  coverage: async () => (await import('./coverage.js')).coverageCommand,
};

/** Own keys only: `tollgate toString` is an unknown command, not Object.prototype.toString. */
function commandOf(name: string | undefined): (() => Promise<Command>) | undefined {
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

/** Other commands register here as they are built (see src/cli/). */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  // `tollgate help lint` is `tollgate lint --help`.
  const topic = name === 'help' && rest.length === 1 ? commandOf(rest[0]) : undefined;
  if (topic !== undefined) return (await topic())(['--help']);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = commandOf(name);
  if (load === undefined) {
    process.stderr.write(`tollgate: unknown command "${name}" (see tollgate --help)\n`);
    return 2;
  }
  return (await load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    // serve keeps running until a signal; other commands end here.
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`tollgate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
