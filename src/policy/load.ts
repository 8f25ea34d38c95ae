// Loads a policy directory: reads every *.yaml/*.yml file, parses it with positions, validates
// it by kind, runs the cross-file checks, reads the JWKS files, and either returns the set (its
// services compiled at once, or on first use with compileLazily) or every problem found, each
// with file:line:col. It never swaps anything in (store.ts does) and never throws.

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { IssuerConfig, PolicySnapshot, TrustConfig } from './types.js';
import { compileService, uncompiledService } from './compile.js';
import { crossCheck } from './cross-check.js';
import { fastServicePolicy } from './fast-validate.js';
import { readJwksFile } from './jwks-file.js';
import { collectWarnings } from './lint.js';
import { forgetMemos } from './memo.js';
import { problem, sortProblems, START } from './problems.js';
import type { Problem } from './problems.js';
import { field, isObj, str } from './raw.js';
import { PolicyTestSchema, ServicePolicySchema, TrustSchema } from './schema.js';
import type { ServicePolicyDoc, TrustDoc } from './schema.js';
import { toTestFile } from './test-files.js';
import type { PolicyTestFile } from './test-files.js';
import type { PolicyTestDoc } from './test-schema.js';
import { compileTrust } from './trust.js';
import { validate } from './validate.js';
import { DestinationTable, ServiceTable, type PendingService } from './service-table.js';
import { parseSource } from './yaml-source.js';
import type { SourceFile } from './yaml-source.js';

export { formatProblem } from './problems.js';
export type { Problem } from './problems.js';
export type { PolicyTestFile } from './test-files.js';

/** A loaded set: a PolicySnapshot without generation and loadedAt (the store sets those). */
export interface LoadedPolicySet extends Omit<PolicySnapshot, 'generation' | 'loadedAt'> {
  /** Absolute paths of the policy files that were read. */
  readonly files: readonly string[];
  /** Absolute paths of the JWKS files the trust configuration reads (watched like policy files). */
  readonly jwksFiles: readonly string[];
}

export type LoadResult =
  | {
      readonly ok: true;
      readonly snapshot: LoadedPolicySet;
      readonly tests: readonly PolicyTestFile[];
      /** The lint warnings; empty when they were deferred (then `lint()` computes them). */
      readonly warnings: readonly Problem[];
      /** The lint warnings of this set, computed on first call (at once unless deferred). */
      lint(): readonly Problem[];
    }
  | { readonly ok: false; readonly problems: readonly Problem[] };

export interface LoadOptions {
  /**
   * Leave the lint warnings out of the load (`lint()` computes them later). Warnings never block
   * a load, so the server takes them off its start-up path: with 10,000 rules, a fifth of the load.
   */
  readonly deferWarnings?: boolean;
  /**
   * Compile each service when it is first asked for instead of before returning (service-table.ts;
   * the store compiles the rest in the background once the server is serving). Validation is
   * complete either way: a set that loads has no error left for compiling to find.
   */
  readonly compileLazily?: boolean;
}

interface Valid<T> {
  readonly source: SourceFile;
  readonly doc: T;
}

interface Collected {
  readonly problems: Problem[];
  readonly trust: Valid<TrustDoc>[];
  readonly services: Valid<ServicePolicyDoc>[];
  readonly tests: Valid<PolicyTestDoc>[];
}

export async function loadPolicyDir(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  let compiling = false;
  try {
    const result = await loadSet(dir, options.deferWarnings === true, options.compileLazily === true);
    compiling = result.ok && options.compileLazily === true;
    return result;
  } catch (err) {
    return { ok: false, problems: [problem(dir, START, 'error', `internal error while loading: ${(err as Error).message}`)] };
  } finally {
    // The compiled set keeps what it uses; the memos would keep every older set's too. A set still
    // to be compiled keeps them for its services, which share patterns, and for its lint; the
    // store's lint, which follows the compile, forgets them.
    if (!compiling) forgetMemos();
  }
}

async function loadSet(dir: string, deferWarnings: boolean, compileLazily: boolean): Promise<LoadResult> {
  const names = await listPolicyFiles(dir);
  if (typeof names === 'string') return { ok: false, problems: [problem(dir, START, 'error', names)] };
  const c: Collected = { problems: [], trust: [], services: [], tests: [] };
  const sources = { trust: [] as SourceFile[], services: [] as SourceFile[], tests: [] as SourceFile[] };
  const texts = await readTexts(dir, names);
  names.forEach((name, i) => {
    const source = parseText(dir, name, texts[i] as ReadText, c.problems);
    if (source !== undefined) classify(source, c, sources);
  });
  c.problems.push(...crossCheck({ dir, ...sources }));
  const trustDoc = sources.trust.length === 1 ? c.trust[0] : undefined;
  const keys = sources.trust.length === 1 && sources.trust[0] ? await readKeys(dir, sources.trust[0], c.problems) : new Map<string, readonly object[]>();
  const hasErrors = trustDoc === undefined || c.problems.some((p) => p.severity === 'error');
  let linted: readonly Problem[] | undefined;
  // Warnings found while loading (e.g. about a JWKS file) plus the lint rules'.
  const lint = (): readonly Problem[] => {
    if (linted === undefined) {
      try {
        linted = Object.freeze(sortProblems([...c.problems.filter((p) => p.severity !== 'error'), ...collectWarnings({ trust: trustDoc, services: c.services })]));
      } finally {
        forgetMemos(); // a deferred lint parses the patterns again; keep none of it
      }
    }
    return linted;
  };
  // A failed load reports its warnings with its errors; a good one may leave them for later.
  if (hasErrors) return { ok: false, problems: sortProblems([...c.problems.filter((p) => p.severity === 'error'), ...lint()]) };
  const trust = withKeys(compileTrust(trustDoc.doc, dir), keys);
  const snapshot = buildSet(dir, names, trust, c.services, compileLazily);
  const tests = Object.freeze(c.tests.map((t) => toTestFile(t.doc, t.source)));
  return { ok: true, snapshot, tests, warnings: deferWarnings ? [] : lint(), lint };
}

/** Top-level *.yaml / *.yml files (following symlinks, as in a ConfigMap mount), sorted; hidden ones skipped. */
async function listPolicyFiles(dir: string): Promise<string[] | string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    return `cannot read policy directory ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || !/\.ya?ml$/.test(entry.name)) continue;
    const isFile = entry.isFile() || (entry.isSymbolicLink() && (await stat(path.join(dir, entry.name)).then((s) => s.isFile(), () => true)));
    if (isFile) names.push(entry.name);
  }
  return names.sort();
}

type ReadText = { readonly text: string } | { readonly code: string };

/** Files read at once: the waits overlap, and a directory of thousands cannot exhaust descriptors. */
const READ_CONCURRENCY = 16;

/** Every file's text (or why not), in `names` order. */
async function readTexts(dir: string, names: readonly string[]): Promise<ReadText[]> {
  const out: ReadText[] = new Array<ReadText>(names.length);
  let next = 0;
  const reader = async (): Promise<void> => {
    for (let i = next++; i < names.length; i = next++) out[i] = await readText(dir, names[i] as string);
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, names.length) }, reader));
  return out;
}

async function readText(dir: string, name: string): Promise<ReadText> {
  try {
    return { text: await readFile(path.join(dir, name), 'utf8') };
  } catch (err) {
    return { code: (err as NodeJS.ErrnoException).code ?? 'error' };
  }
}

function parseText(dir: string, name: string, read: ReadText, problems: Problem[]): SourceFile | undefined {
  const shown = path.join(dir, name);
  if ('code' in read) {
    problems.push(problem(shown, START, 'error', `cannot read file (${read.code})`));
    return undefined;
  }
  const parsed = parseSource(shown, read.text);
  problems.push(...parsed.problems);
  return parsed.problems.length === 0 ? parsed.source : undefined;
}

function classify(source: SourceFile, c: Collected, sources: { trust: SourceFile[]; services: SourceFile[]; tests: SourceFile[] }): void {
  const kind = field(source.data, 'kind');
  const push = <T>(list: Valid<T>[], result: { value: T | undefined; problems: Problem[] }) => {
    c.problems.push(...result.problems);
    if (result.value !== undefined) list.push({ source, doc: result.value });
  };
  if (kind === 'Trust') {
    sources.trust.push(source);
    push(c.trust, validate(TrustSchema, source));
  } else if (kind === 'ServicePolicy') {
    sources.services.push(source);
    push(c.services, validate(ServicePolicySchema, source, fastServicePolicy));
  } else if (kind === 'PolicyTest') {
    sources.tests.push(source);
    push(c.tests, validate(PolicyTestSchema, source));
  } else {
    const shown = kind === undefined ? 'missing kind' : `unknown kind ${JSON.stringify(kind)}`;
    c.problems.push(problem(source.file, source.at(['kind']), 'error', `${shown}: a policy file has kind Trust, ServicePolicy or PolicyTest`));
  }
}

/** Reads each issuer's JWKS file; works on the raw Trust data so it reports even if other parts are invalid. */
async function readKeys(dir: string, trust: SourceFile, problems: Problem[]): Promise<Map<string, readonly object[]>> {
  const keys = new Map<string, readonly object[]>();
  const issuers = field(trust.data, 'issuers');
  for (const [name, issuer] of isObj(issuers) ? Object.entries(issuers) : []) {
    const file = str(field(field(issuer, 'jwks'), 'file'));
    if (file === undefined || file === '') continue;
    const result = await readJwksFile(path.resolve(dir, file), file);
    const at = trust.at(['issuers', name, 'jwks', 'file']);
    for (const f of result.findings) problems.push(problem(trust.file, at, f.severity, f.message));
    keys.set(name, result.keys);
  }
  return keys;
}

function withKeys(trust: TrustConfig, keys: ReadonlyMap<string, readonly object[]>): TrustConfig {
  const issuers = new Map<string, IssuerConfig>();
  const byIss = new Map<string, IssuerConfig>();
  for (const [name, issuer] of trust.issuers) {
    const fileKeys = keys.get(name);
    const full = fileKeys === undefined ? issuer : Object.freeze({ ...issuer, jwks: Object.freeze({ ...issuer.jwks, fileKeys }) });
    issuers.set(name, full);
    byIss.set(full.issuer, full);
  }
  return Object.freeze({ ...trust, issuers, issuersByIss: byIss });
}

function buildSet(dir: string, names: readonly string[], trust: TrustConfig, services: readonly Valid<ServicePolicyDoc>[], lazily: boolean): LoadedPolicySet {
  const pending = new Map<string, PendingService>();
  const destinations = new Map<string, string>();
  for (const { source, doc } of services) {
    pending.set(doc.service, { compile: () => compileService(doc, source, trust), uncompiled: () => uncompiledService(doc, source) });
    if (doc.spiffeId !== undefined) destinations.set(doc.spiffeId, doc.service);
  }
  const table = new ServiceTable(pending);
  // Compiled at once, a set whose compile fails (a bug) fails to load, as it always did.
  const failed = lazily ? undefined : table.compileAll()[0];
  if (failed !== undefined) throw failed.error;
  const jwksFiles = [...trust.issuers.values()].flatMap((i) => (i.jwks.file === undefined ? [] : [i.jwks.file]));
  return Object.freeze({
    directory: path.resolve(dir),
    trust,
    services: table,
    byDestination: new DestinationTable(table, destinations),
    files: Object.freeze(names.map((n) => path.resolve(dir, n))),
    jwksFiles: Object.freeze(jwksFiles),
  });
}
