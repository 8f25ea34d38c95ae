// The trust-path inventory (product.md §7): a bounded in-memory table of (service, rule or method,
// caller) → count, first/last seen, last decision, plus the grants no allowed request has used.
// Identities live here, never in metric labels. It does not serve HTTP (src/server/admin.ts does).

import type { Reason } from '../decision/reasons.js';
import type { Request, Verdict } from '../decision/types.js';
import type { PolicySnapshot } from '../policy/types.js';
import { callerName } from './caller.js';
import { GrantUse, type UnusedGrant } from './grants.js';
import type { Metrics } from './metrics.js';
import type { DecisionRecord } from './record.js';

export type { UnusedGrant } from './grants.js';

export const DEFAULT_MAX_EDGES = 10_000;
/** A method key longer than this (a denied request's path) is cut: the inventory stays bounded in bytes too. */
export const MAX_METHOD_CHARS = 256;

export interface InventoryEdge {
  readonly service: string;
  /** The allowing rule, else the first rule that selected the request; null when none did. */
  readonly rule: string | null;
  /** Set when no rule selected the request: the gRPC method, else `METHOD /path`. */
  readonly method: string | null;
  readonly caller: string;
  readonly count: number;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly last_decision: Verdict;
  readonly last_reason: Reason;
}

export interface InventoryOptions {
  readonly maxEdges?: number;
  readonly metrics?: Metrics;
  /** Epoch milliseconds (default Date.now). */
  readonly now?: () => number;
  /** The policy in force; lets a used grant be recorded by its text (see grants.ts). */
  readonly policy?: () => PolicySnapshot | undefined;
}

export interface Inventory {
  observe(rec: DecisionRecord): void;
  /** Most recently seen first. */
  edges(): InventoryEdge[];
  unused(snapshot: PolicySnapshot): UnusedGrant[];
  readonly evicted: number;
  readonly size: number;
  readonly maxEdges: number;
  /** Epoch milliseconds since which uses are counted. */
  readonly since: number;
}

/** The JSON body of the admin port's `GET /inventory`. */
export interface InventoryDocument {
  readonly since: string;
  readonly max_edges: number;
  readonly size: number;
  readonly evicted: number;
  readonly edges: InventoryEdge[];
}

/** The JSON body of the admin port's `GET /inventory/unused`. */
export interface UnusedDocument {
  readonly since: string;
  readonly policy_generation: number;
  readonly unused: UnusedGrant[];
}

interface Edge {
  readonly service: string;
  readonly byRule: boolean;
  readonly key: string;
  readonly caller: string;
  count: number;
  readonly first: number;
  last: number;
  decision: Verdict;
  reason: Reason;
  older: Edge | undefined;
  newer: Edge | undefined;
}

type Index = Map<string, Map<string, Map<string, Edge>>>;

function edgeKey(rec: DecisionRecord): { byRule: boolean; key: string } {
  const d = rec.decision;
  if (d.rule !== '') return { byRule: true, key: d.rule };
  const tried = d.matchedRules[0];
  if (tried !== undefined) return { byRule: true, key: tried };
  return { byRule: false, key: methodOf(rec.request) };
}

function methodOf(r: Request | undefined): string {
  if (r === undefined) return '(undecodable request)';
  // join(): a flat key, not a string tree kept alive by the edge table.
  const m = r.grpcMethod ?? [r.method, r.rawPath].join(' ');
  return m.length <= MAX_METHOD_CHARS ? m : m.slice(0, MAX_METHOD_CHARS);
}

function toJson(e: Edge): InventoryEdge {
  return {
    service: e.service,
    rule: e.byRule ? e.key : null,
    method: e.byRule ? null : e.key,
    caller: e.caller,
    count: e.count,
    first_seen: new Date(e.first).toISOString(),
    last_seen: new Date(e.last).toISOString(),
    last_decision: e.decision,
    last_reason: e.reason,
  };
}

/** Least recently seen edges go first when the table is full; each eviction is counted. */
class EdgeTable {
  // Two indexes so that a rule named like a method can never share an edge with it.
  readonly #byRule: Index = new Map();
  readonly #byMethod: Index = new Map();
  #oldest: Edge | undefined;
  #newest: Edge | undefined;
  size = 0;
  evicted = 0;

  constructor(
    readonly maxEdges: number,
    private readonly metrics: Metrics | undefined,
  ) {}

  touch(service: string, byRule: boolean, key: string, caller: string, now: number): Edge {
    const byKey = nestedGet(byRule ? this.#byRule : this.#byMethod, service, key);
    let edge = byKey.get(caller);
    if (edge !== undefined) {
      this.#unlink(edge);
    } else {
      if (this.size >= this.maxEdges) this.#evictOldest();
      edge = { service, byRule, key, caller, count: 0, first: now, last: now, decision: 'deny', reason: 'internal_error', older: undefined, newer: undefined };
      byKey.set(caller, edge);
      this.size++;
    }
    this.#append(edge);
    return edge;
  }

  *newestFirst(): Generator<Edge> {
    for (let e = this.#newest; e !== undefined; e = e.older) yield e;
  }

  #evictOldest(): void {
    const edge = this.#oldest;
    if (edge === undefined) return;
    this.#unlink(edge);
    const index = edge.byRule ? this.#byRule : this.#byMethod;
    const byKey = index.get(edge.service);
    const byCaller = byKey?.get(edge.key);
    byCaller?.delete(edge.caller);
    if (byCaller?.size === 0) byKey?.delete(edge.key);
    if (byKey?.size === 0) index.delete(edge.service);
    this.size--;
    this.evicted++;
    this.metrics?.inventoryEvicted(1);
  }

  #unlink(e: Edge): void {
    if (e.older !== undefined) e.older.newer = e.newer;
    else this.#oldest = e.newer;
    if (e.newer !== undefined) e.newer.older = e.older;
    else this.#newest = e.older;
    e.older = undefined;
    e.newer = undefined;
  }

  #append(e: Edge): void {
    e.older = this.#newest;
    if (this.#newest !== undefined) this.#newest.newer = e;
    this.#newest = e;
    if (this.#oldest === undefined) this.#oldest = e;
  }
}

function nestedGet(index: Index, service: string, key: string): Map<string, Edge> {
  let byKey = index.get(service);
  if (byKey === undefined) index.set(service, (byKey = new Map()));
  let byCaller = byKey.get(key);
  if (byCaller === undefined) byKey.set(key, (byCaller = new Map()));
  return byCaller;
}

/** Called once at start-up; throws on a bad bound (never afterwards). */
export function createInventory(options: InventoryOptions = {}): Inventory {
  const maxEdges = options.maxEdges ?? DEFAULT_MAX_EDGES;
  if (!Number.isSafeInteger(maxEdges) || maxEdges < 1) throw new Error(`inventory maxEdges must be a positive integer, got ${maxEdges}`);
  const now = options.now ?? Date.now;
  const table = new EdgeTable(maxEdges, options.metrics);
  const grants = new GrantUse(options.policy);
  return {
    observe(rec: DecisionRecord): void {
      const d = rec.decision;
      const { byRule, key } = edgeKey(rec);
      const t = now();
      const edge = table.touch(d.service, byRule, key, callerName(rec.identity), t);
      edge.count++;
      edge.last = t;
      edge.decision = d.verdict;
      edge.reason = d.reason;
      grants.observe(d);
    },
    edges: () => Array.from(table.newestFirst(), toJson),
    unused: (snapshot) => grants.unused(snapshot),
    get evicted() {
      return table.evicted;
    },
    get size() {
      return table.size;
    },
    maxEdges,
    since: now(),
  };
}

export function inventoryDocument(inv: Inventory): InventoryDocument {
  const edges = inv.edges();
  return { since: new Date(inv.since).toISOString(), max_edges: inv.maxEdges, size: edges.length, evicted: inv.evicted, edges };
}

export function unusedDocument(inv: Inventory, snapshot: PolicySnapshot): UnusedDocument {
  return { since: new Date(inv.since).toISOString(), policy_generation: snapshot.generation, unused: inv.unused(snapshot) };
}
