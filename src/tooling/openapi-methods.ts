// Reads the HTTP operations of an OpenAPI 3 document (YAML or JSON; Swagger 2.0 too): every
// method of every path, prefixed with the base path the servers (or Swagger's basePath) give
// the API, since Envoy sees the full path. It resolves no $refs and reads nothing but paths.

import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { joinPath, type HttpApiMethod } from './api-methods.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface OpenApiResult {
  readonly methods: HttpApiMethod[];
  readonly notes: string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The path part of a server URL, its {variables} replaced by their defaults. */
function serverPath(server: unknown): string | undefined {
  if (!isRecord(server) || typeof server['url'] !== 'string') return undefined;
  const vars = isRecord(server['variables']) ? server['variables'] : {};
  const url = server['url'].replace(/\{([^}]*)\}/g, (_m, name: string) => {
    const v = vars[name];
    return isRecord(v) && typeof v['default'] === 'string' ? v['default'] : '';
  });
  try {
    return new URL(url, 'http://relative.invalid').pathname;
  } catch {
    return undefined;
  }
}

/** One base path for the document, or '' with a note when the servers disagree. */
function basePathOf(doc: Record<string, unknown>, notes: string[]): string {
  if (typeof doc['swagger'] === 'string') return typeof doc['basePath'] === 'string' ? doc['basePath'] : '';
  const servers = Array.isArray(doc['servers']) ? doc['servers'] : [];
  const paths = new Set(servers.map(serverPath).filter((p): p is string => p !== undefined).map((p) => p.replace(/\/+$/, '')));
  if (paths.size <= 1) return [...paths][0] ?? '';
  notes.push(`the servers have different base paths (${[...paths].join(', ')}); none is applied: give --base-path`);
  return '';
}

/** The operations of a parsed document; throws when it is not OpenAPI 3 or Swagger 2. */
export function openApiMethodsOf(doc: unknown, source: string, basePath: string | undefined): OpenApiResult {
  if (!isRecord(doc) || !(String(doc['openapi'] ?? '').startsWith('3') || doc['swagger'] === '2.0')) {
    throw new Error(`${source} is not an OpenAPI 3 (or Swagger 2.0) document`);
  }
  const notes: string[] = [];
  const base = basePath ?? basePathOf(doc, notes);
  const methods: HttpApiMethod[] = [];
  const paths = isRecord(doc['paths']) ? doc['paths'] : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!path.startsWith('/') || !isRecord(item)) continue;
    if (typeof item['$ref'] === 'string') notes.push(`${path}: path item $ref ${item['$ref']} is not followed`);
    for (const m of METHODS) {
      if (item[m] !== undefined) methods.push({ kind: 'http', method: m.toUpperCase(), path: joinPath(base, path), source });
    }
  }
  return { methods, notes };
}

export async function openApiMethods(file: string, basePath: string | undefined): Promise<OpenApiResult> {
  const text = await readFile(file, 'utf8');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`${file}: not YAML or JSON (${(err as Error).message.split('\n')[0] ?? ''})`);
  }
  return openApiMethodsOf(doc, file, basePath);
}
