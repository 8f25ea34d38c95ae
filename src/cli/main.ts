#!/usr/bin/env node
// The `tollgate` command: dispatches to one module per sub-command. Exit codes: 0 success,
// 1 a finding (lint errors, failed policy tests), 2 bad usage or configuration.

import { USAGE } from './usage.js';

type Command = (argv: readonly string[]) => Promise<number>;

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  serve: async () => (await import('./serve.js')).serve,
  check: async () => (await import('./check.js')).checkCommand,
};

/** Other commands register here as they are built (see src/cli/). */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
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
