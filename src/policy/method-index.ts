// The per-service index that finds the rules selecting a request without scanning every rule:
// one segment trie per HTTP method (plus one for `*`) and one for gRPC methods, built once at
// load. Look-up cost follows the request's segments and the patterns sharing its prefix, not the
// rule count. It knows nothing about entries or modes.

import { segmentEnd, segmentMatches } from './patterns.js';
import type { Segment } from './patterns.js';
import type { MethodSpec } from './method-spec.js';

/**
 * Every part is created on first use: a 100 × 100-rule set has some hundred thousand nodes, most
 * of them with one literal child and nothing else. That one child is held in `key`/`child`; the
 * Map exists only from a node's second literal child on (then every literal child is in it). Lists
 * start as one-element literals, not `[]` and push (which reserves room for 17).
 */
interface TrieNode {
  /** The only literal child's segment text, while the node has one literal child. */
  key: string | undefined;
  child: TrieNode | undefined;
  /** Every literal child, once there are two or more (`key` and `child` are then undefined). */
  literal: Map<string, TrieNode> | undefined;
  wild: Array<{ readonly seg: Segment; readonly node: TrieNode }> | undefined;
  globstar: TrieNode | undefined;
  /** Rule indexes whose pattern ends here. */
  rules: number[] | undefined;
}

export interface MethodIndex {
  /** Indexes (in file order, without duplicates) of the rules that select the request. */
  lookup(method: string, path: string, grpcMethod: string | undefined): number[];
}

function node(): TrieNode {
  return { key: undefined, child: undefined, literal: undefined, wild: undefined, globstar: undefined, rules: undefined };
}

/** Load-time code, run ~100,000 times for a large set before the JIT has warmed up: indexed loops
 *  and no closures, since for-of iterators and callbacks each allocate there. */
function insert(root: TrieNode, segments: readonly Segment[], rule: number): void {
  let at = root;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as Segment;
    if (seg.kind === 'literal') at = literalChild(at, seg.text);
    else if (seg.kind === 'globstar') at = at.globstar ??= node();
    else at = wildChild(at, seg);
  }
  if (at.rules === undefined) at.rules = [rule];
  else if (!at.rules.includes(rule)) at.rules.push(rule);
}

function literalChild(at: TrieNode, text: string): TrieNode {
  if (at.literal !== undefined) {
    let next = at.literal.get(text);
    if (next === undefined) at.literal.set(text, (next = node()));
    return next;
  }
  if (at.key === undefined) {
    at.key = text;
    return (at.child = node());
  }
  if (at.key === text) return at.child as TrieNode;
  const next = node();
  at.literal = new Map([[at.key, at.child as TrieNode], [text, next]]);
  at.key = undefined;
  at.child = undefined;
  return next;
}

function wildChild(at: TrieNode, seg: Segment): TrieNode {
  const wild = at.wild;
  if (wild !== undefined) {
    for (let i = 0; i < wild.length; i++) {
      const w = wild[i] as { readonly seg: Segment; readonly node: TrieNode };
      if (w.seg.text === seg.text) return w.node;
    }
  }
  const child = node();
  if (wild === undefined) at.wild = [{ seg, node: child }];
  else wild.push({ seg, node: child });
  return child;
}

interface Walk {
  readonly s: string;
  readonly out: number[];
  /** (globstar node, offset) pairs already walked: without it, k `**` cost n^k on hostile paths. */
  seen: Map<TrieNode, Set<number>> | undefined;
}

function firstVisit(w: Walk, at: TrieNode, pos: number): boolean {
  const seen = (w.seen ??= new Map());
  let offsets = seen.get(at);
  if (offsets === undefined) seen.set(at, (offsets = new Set()));
  if (offsets.has(pos)) return false;
  offsets.add(pos);
  return true;
}

/** Collect the rules of every pattern that matches the segments of `w.s` from offset `pos`. */
function walk(at: TrieNode, pos: number, w: Walk): void {
  const s = w.s;
  if (at.globstar !== undefined) {
    for (let p = pos; ; p = segmentEnd(s, p) + 1) {
      if (firstVisit(w, at.globstar, p)) walk(at.globstar, p, w);
      if (p > s.length) break;
    }
  }
  if (pos > s.length) {
    if (at.rules !== undefined) for (const r of at.rules) w.out.push(r);
    return;
  }
  const end = segmentEnd(s, pos);
  // The single literal child is compared in place: no slice of the path to look it up.
  if (at.key !== undefined) {
    if (end - pos === at.key.length && s.startsWith(at.key, pos)) walk(at.child as TrieNode, end + 1, w);
  } else if (at.literal !== undefined) {
    const next = at.literal.get(s.slice(pos, end));
    if (next !== undefined) walk(next, end + 1, w);
  }
  if (at.wild !== undefined) for (const x of at.wild) if (segmentMatches(x.seg, s, pos, end)) walk(x.node, end + 1, w);
}

/** Build the index of a service from its rules' method specs (rule index = position in file). */
export function buildMethodIndex(rules: readonly (readonly MethodSpec[])[]): MethodIndex {
  const byMethod = new Map<string, TrieNode>();
  const anyMethod = node();
  const grpc = node();
  for (let rule = 0; rule < rules.length; rule++) {
    const specs = rules[rule] as readonly MethodSpec[];
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i] as MethodSpec;
      if (spec.kind === 'grpc') insert(grpc, spec.segments, rule);
      else if (spec.methods === undefined) insert(anyMethod, spec.segments, rule);
      else for (let k = 0; k < spec.methods.length; k++) insert(methodRoot(byMethod, spec.methods[k] as string), spec.segments, rule);
    }
  }
  return Object.freeze({
    lookup(method: string, path: string, grpcMethod: string | undefined): number[] {
      const out: number[] = [];
      if (path.charCodeAt(0) === 47) {
        const tree = byMethod.get(method);
        const w: Walk = { s: path, out, seen: undefined };
        if (tree !== undefined) walk(tree, 1, w);
        w.seen = undefined; // another trie: its nodes are distinct anyway, start clean
        walk(anyMethod, 1, w);
      }
      if (grpcMethod !== undefined) walk(grpc, 0, { s: grpcMethod, out, seen: undefined });
      return out.length > 1 ? sortUnique(out) : out;
    },
  });
}

function methodRoot(byMethod: Map<string, TrieNode>, method: string): TrieNode {
  let root = byMethod.get(method);
  if (root === undefined) byMethod.set(method, (root = node()));
  return root;
}

function sortUnique(list: number[]): number[] {
  list.sort((a, b) => a - b);
  let w = 1;
  for (let i = 1; i < list.length; i++) if (list[i] !== list[w - 1]) list[w++] = list[i] as number;
  list.length = w;
  return list;
}
