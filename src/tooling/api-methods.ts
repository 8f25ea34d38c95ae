// The methods of a service's own API description, as `tollgate coverage` compares them with the
// rules: gRPC methods (`pkg.Service/Method`, from .proto files) and HTTP operations (method and
// path template, from OpenAPI). Shapes and helpers only; extraction lives in the *-methods files.

import { compileSegments, type Segment } from '../policy/patterns.js';

export interface GrpcApiMethod {
  readonly kind: 'grpc';
  /** `package.Service/Method`, as the :path of a call names it (without the leading /). */
  readonly name: string;
  /** The file it was read from. */
  readonly source: string;
}

export interface HttpApiMethod {
  readonly kind: 'http';
  /** Upper case, as HTTP sends it. */
  readonly method: string;
  /** Path template with the base path, e.g. `/v1/items/{id}`. */
  readonly path: string;
  readonly source: string;
}

export type ApiMethod = GrpcApiMethod | HttpApiMethod;

/** A stand-in for a template parameter no pattern literal can contain (patterns refuse controls). */
export const PARAM_PROBE = '\u0000';

const PARAM = /\{[^{}/]*\}/g;

export function methodLabel(m: ApiMethod): string {
  return m.kind === 'grpc' ? m.name : `${m.method} ${m.path}`;
}

/**
 * The path with every parameter replaced by PARAM_PROBE: a pattern matches the probe exactly when
 * it matches every value of the parameters (only `*` can absorb the probe, and `*` absorbs anything).
 */
export function probePath(m: HttpApiMethod): string {
  return m.path.replace(PARAM, PARAM_PROBE);
}

/** The template as segment patterns, each parameter a `*`: what some value of it can match. */
export function templateSegments(m: HttpApiMethod): readonly Segment[] {
  return compileSegments(m.path.replace(PARAM, '*').slice(1).split('/'));
}

/** `/a/` + `/b` → `/a/b`; an empty or `/` base adds nothing. */
export function joinPath(base: string, path: string): string {
  const trimmed = base.replace(/\/+$/, '');
  const rest = path.startsWith('/') ? path : `/${path}`;
  return trimmed === '' ? rest : `${trimmed.startsWith('/') ? '' : '/'}${trimmed}${rest}`;
}
