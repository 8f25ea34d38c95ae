// Every *.yaml / *.yml file under a directory (build output, dependencies and git skipped): the
// real files the fast YAML and fast validation paths are compared on.

import { readdirSync } from 'node:fs';
import path from 'node:path';

export function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return ['node_modules', 'dist', '.git', '.tmp'].includes(e.name) ? [] : yamlFiles(full);
    return /\.ya?ml$/.test(e.name) ? [full] : [];
  });
}
