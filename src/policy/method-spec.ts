// Parses and compiles the `methods:` items of a rule — `http: GET|HEAD /v1/**` and
// `grpc: pkg.Service/Get*` — into segment patterns. Validation messages are for the loader;
// indexing the compiled specs for fast look-up is method-index.ts's job.

import { memoize } from './memo.js';
import { compileSegments, matchSegments } from './patterns.js';
import type { Segment } from './patterns.js';

export interface HttpSpec {
  readonly kind: 'http';
  readonly text: string;
  /** Exact, case-sensitive method names; undefined for `*` (any method). */
  readonly methods: readonly string[] | undefined;
  readonly path: string;
  readonly segments: readonly Segment[];
}

export interface GrpcSpec {
  readonly kind: 'grpc';
  readonly text: string;
  readonly segments: readonly Segment[];
}

export type MethodSpec = HttpSpec | GrpcSpec;
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

// RFC 9110 token characters, minus `*` and `|`, which the spec syntax uses.
const METHOD_CHARS = /^[A-Za-z0-9!#$%&'+.^_`~-]+$/;
const GRPC_SEGMENT = /^[A-Za-z0-9_.*]+$/;
const PATH_FORBIDDEN = /[\s?#\\\u0000-\u001f\u007f]/;

function fail<T>(error: string): Parsed<T> {
  return Object.freeze({ ok: false, error });
}

/** Parse `METHOD|METHOD /path` (memoized: see memo.ts). */
export const parseHttpSpec: (text: string) => Parsed<HttpSpec> = memoize(parseHttpSpecText);

/**
 * `text.trim().split(/\s+/)`, without the regex split for the usual spelling (printable ASCII
 * around one space), which is most of the cost of parsing a method item.
 */
function words(text: string): string[] {
  let space = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x20 && c < 0x7f) continue;
    if (c !== 0x20 || space !== -1 || i === 0 || i === text.length - 1) return text.trim().split(/\s+/);
    space = i;
  }
  return space === -1 ? [text] : [text.slice(0, space), text.slice(space + 1)];
}

function parseHttpSpecText(text: string): Parsed<HttpSpec> {
  const parts = words(text);
  if (parts.length !== 2) return fail(`http method must be "METHOD /path" (e.g. "GET /v1/items/*"), got "${text}"`);
  // Indexes, not destructuring or find(): this runs for every method item of a large set while
  // the code is still cold, where iterators and callbacks allocate.
  const methodText = parts[0] as string;
  const path = parts[1] as string;
  let methods: string[] | undefined;
  if (methodText !== '*') {
    methods = methodText.split('|');
    for (let i = 0; i < methods.length; i++) {
      const m = methods[i] as string;
      if (!METHOD_CHARS.test(m)) return fail(`invalid HTTP method "${m}" in "${text}": use GET, GET|HEAD or *`);
    }
  }
  const pathError = checkPathText(path);
  if (pathError !== undefined) return fail(`${pathError} in "${text}"`);
  const segs = path.slice(1).split('/');
  const segmentError = checkPathSegments(path, segs);
  if (segmentError !== undefined) return fail(`${segmentError} in "${text}"`);
  const segments = compileSegments(segs);
  return {
    ok: true,
    value: Object.freeze({ kind: 'http', text, methods: methods && Object.freeze(methods), path, segments }),
  };
}

function checkPathText(path: string): string | undefined {
  if (!path.startsWith('/')) return `path pattern "${path}" must start with /`;
  if (PATH_FORBIDDEN.test(path)) return `path pattern "${path}" holds a space, control character, ?, # or \\ (query strings are never matched)`;
  return undefined;
}

/** `segs`: the path after its leading `/`, split on `/` (once, for these checks and the compiler). */
function checkPathSegments(path: string, segs: readonly string[]): string | undefined {
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    if (seg === '' && i < segs.length - 1) return `path pattern "${path}" has an empty segment (//), which no request can have`;
    if (seg === '.' || seg === '..') return `path pattern "${path}" has a dot segment, which no request can have`;
  }
  return undefined;
}

/** Parse `package.Service/Method` (memoized: see memo.ts). */
export const parseGrpcSpec: (text: string) => Parsed<GrpcSpec> = memoize(parseGrpcSpecText);

function parseGrpcSpecText(text: string): Parsed<GrpcSpec> {
  const segs = text.split('/');
  if (text.startsWith('/')) return fail(`gRPC method "${text}" must be package.Service/Method, without a leading /`);
  for (let i = 0; i < segs.length; i++) {
    if (!GRPC_SEGMENT.test(segs[i] as string)) return fail(`gRPC method "${text}" must be package.Service/Method (letters, digits, _ . and *)`);
  }
  if (!segs.includes('**') && segs.length !== 2) return fail(`gRPC method "${text}" must be package.Service/Method`);
  return { ok: true, value: Object.freeze({ kind: 'grpc', text, segments: compileSegments(segs) }) };
}

// Codes of the RFC 9110 token characters METHOD_CHARS admits, and of those GRPC_SEGMENT admits.
const METHOD_CODES = codes("A-Za-z0-9!#$%&'+.^_`~-");
const GRPC_CODES = codes('A-Za-z0-9_.*');

function codes(spec: string): Uint8Array {
  const out = new Uint8Array(128);
  for (let i = 0; i < spec.length; i++) {
    const c = spec.charCodeAt(i);
    if (spec[i + 1] === '-' && i + 2 < spec.length) {
      for (let x = c; x <= spec.charCodeAt(i + 2); x++) out[x] = 1;
      i += 2;
    } else out[c] = 1;
  }
  return out;
}

/**
 * Whether parseHttpSpec would accept `text`, without building anything: validation only needs the
 * answer, and the compiler builds the spec when the service is compiled (service-table.ts). The
 * usual spelling, printable ASCII with one space, is checked here; anything else is parsed.
 */
export function isHttpSpec(text: string): boolean {
  const space = text.indexOf(' ');
  if (space <= 0 || space !== text.lastIndexOf(' ') || space === text.length - 1) return parseHttpSpec(text).ok;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return parseHttpSpec(text).ok;
  }
  const starOnly = space === 1 && text.charCodeAt(0) === 0x2a;
  if (!starOnly) {
    let methodLength = 0;
    for (let i = 0; i <= space; i++) {
      const c = text.charCodeAt(i);
      if (i === space || c === 0x7c) {
        if (methodLength === 0) return false;
        methodLength = 0;
      } else if (METHOD_CODES[c] !== 1) return false;
      else methodLength++;
    }
  }
  return isPathPattern(text, space + 1);
}

/** text[from…] as a path pattern: `/`, none of ? # \, no empty segment but the last, no dot segments. */
function isPathPattern(text: string, from: number): boolean {
  if (text.charCodeAt(from) !== 0x2f) return false;
  let start = from + 1;
  for (let i = start; i <= text.length; i++) {
    const c = i === text.length ? 0x2f : text.charCodeAt(i);
    if (c === 0x3f || c === 0x23 || c === 0x5c) return false;
    if (c !== 0x2f) continue;
    const length = i - start;
    if (length === 0 && i < text.length) return false;
    if (length === 1 && text.charCodeAt(start) === 0x2e) return false;
    if (length === 2 && text.charCodeAt(start) === 0x2e && text.charCodeAt(start + 1) === 0x2e) return false;
    start = i + 1;
  }
  return true;
}

/** Whether parseGrpcSpec would accept `text`, without building anything (see isHttpSpec). */
export function isGrpcSpec(text: string): boolean {
  let segments = 0;
  let globstar = false;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 0x2f : text.charCodeAt(i);
    if (c !== 0x2f) {
      if (c > 0x7f || GRPC_CODES[c] !== 1) return false;
      continue;
    }
    if (i === start) return false;
    if (i - start === 2 && text.charCodeAt(start) === 0x2a && text.charCodeAt(start + 1) === 0x2a) globstar = true;
    segments++;
    start = i + 1;
  }
  return globstar || segments === 2;
}

/** Whether one spec selects the request (used by explain traces and lint; decisions use the index). */
export function specMatches(spec: MethodSpec, method: string, path: string, grpcMethod: string | undefined): boolean {
  if (spec.kind === 'grpc') return grpcMethod !== undefined && matchSegments(spec.segments, 0, grpcMethod, 0);
  if (spec.methods !== undefined && !spec.methods.includes(method)) return false;
  return path.startsWith('/') && matchSegments(spec.segments, 0, path, 1);
}
