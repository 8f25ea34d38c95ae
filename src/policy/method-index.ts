// The per-service index that finds the rules selecting a request without scanning every rule:
// one segment trie per HTTP method (plus one for `*`) and one for gRPC methods, built once at
// load. Look-up cost follows the request's segments and the patterns sharing its prefix, not the
// rule count. It knows nothing about entries or modes.

import { segmentEnd, segmentMatches } from './patterns.js';
import type { Segment } from './patterns.js';
import type { MethodSpec } from './method-spec.js';

interface TrieNode {
  readonly literal: Map<string, TrieNode>;
  readonly wild: Array<{ readonly seg: Segment; readonly node: TrieNode }>;
  globstar: TrieNode | undefined;
  /** Rule indexes whose pattern ends here. */
  readonly rules: number[];
}

export interface MethodIndex {
  /** Indexes (in file order, without duplicates) of the rules that select the request. */
  lookup(method: string, path: string, grpcMethod: string | undefined): number[];
}

function node(): TrieNode {
  return { literal: new Map(), wild: [], globstar: undefined, rules: [] };
}

function insert(root: TrieNode, segments: readonly Segment[], rule: number): void {
  let at = root;
  for (const seg of segments) {
    if (seg.kind === 'literal') {
      let next = at.literal.get(seg.text);
      if (next === undefined) at.literal.set(seg.text, (next = node()));
      at = next;
    } else if (seg.kind === 'globstar') {
      at = at.globstar ??= node();
    } else {
      let entry = at.wild.find((w) => w.seg.text === seg.text);
      if (entry === undefined) at.wild.push((entry = { seg, node: node() }));
      at = entry.node;
    }
  }
  if (!at.rules.includes(rule)) at.rules.push(rule);
}

/** Collect the rules of every pattern that matches the segments of `s` from offset `pos`. */
function walk(at: TrieNode, s: string, pos: number, out: number[]): void {
  if (at.globstar !== undefined) {
    for (let p = pos; ; p = segmentEnd(s, p) + 1) {
      walk(at.globstar, s, p, out);
      if (p > s.length) break;
    }
  }
  if (pos > s.length) {
    for (const r of at.rules) out.push(r);
    return;
  }
  const end = segmentEnd(s, pos);
  if (at.literal.size > 0) {
    const next = at.literal.get(s.slice(pos, end));
    if (next !== undefined) walk(next, s, end + 1, out);
  }
  for (const w of at.wild) if (segmentMatches(w.seg, s, pos, end)) walk(w.node, s, end + 1, out);
}

/** Build the index of a service from its rules' method specs (rule index = position in file). */
export function buildMethodIndex(rules: readonly (readonly MethodSpec[])[]): MethodIndex {
  const byMethod = new Map<string, TrieNode>();
  const anyMethod = node();
  const grpc = node();
  rules.forEach((specs, rule) => {
    for (const spec of specs) {
      if (spec.kind === 'grpc') insert(grpc, spec.segments, rule);
      else if (spec.methods === undefined) insert(anyMethod, spec.segments, rule);
      else for (const m of spec.methods) insert(byMethod.get(m) ?? setNew(byMethod, m), spec.segments, rule);
    }
  });
  return Object.freeze({
    lookup(method: string, path: string, grpcMethod: string | undefined): number[] {
      const out: number[] = [];
      if (path.charCodeAt(0) === 47) {
        const tree = byMethod.get(method);
        if (tree !== undefined) walk(tree, path, 1, out);
        walk(anyMethod, path, 1, out);
      }
      if (grpcMethod !== undefined) walk(grpc, grpcMethod, 0, out);
      return out.length > 1 ? sortUnique(out) : out;
    },
  });
}

function setNew(map: Map<string, TrieNode>, key: string): TrieNode {
  const n = node();
  map.set(key, n);
  return n;
}

function sortUnique(list: number[]): number[] {
  list.sort((a, b) => a - b);
  let w = 1;
  for (let i = 1; i < list.length; i++) if (list[i] !== list[w - 1]) list[w++] = list[i] as number;
  list.length = w;
  return list;
}
