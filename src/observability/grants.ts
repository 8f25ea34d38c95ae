// Which allow entries of the loaded policies have let a request through since start, and so which
// grants are candidates for removal (product.md §7). Bookkeeping only: it never affects a decision.

import type { Decision } from '../decision/types.js';
import type { CompiledService, Mode, PolicySnapshot } from '../policy/types.js';

export interface UnusedGrant {
  readonly service: string;
  readonly rule: string;
  /** Position of the entry in the rule's `allow` list, from 0. */
  readonly entry: number;
  /** The entry as the policy compiler prints it, e.g. `spiffe=spiffe://example.org/ns/ops/*`. */
  readonly grant: string;
  readonly mode: Mode;
  readonly file: string;
  readonly line: number;
}

type Nested<T> = Map<string, Map<string, Set<T>>>;
type RuleEntries = ReadonlyMap<string, readonly string[]>;

function add<T>(map: Nested<T>, service: string, rule: string, value: T): void {
  let rules = map.get(service);
  if (rules === undefined) map.set(service, (rules = new Map()));
  let set = rules.get(rule);
  if (set === undefined) rules.set(rule, (set = new Set()));
  set.add(value);
}

function has<T>(map: Nested<T>, service: string, rule: string, value: T): boolean {
  return map.get(service)?.get(rule)?.has(value) === true;
}

/** rule → allow entries of one service. */
function ruleEntries(service: CompiledService): RuleEntries {
  const rules = new Map<string, readonly string[]>();
  for (const rule of service.rules) if (!rules.has(rule.name)) rules.set(rule.name, rule.allowEntries);
  return rules;
}

/**
 * A grant is recorded by its text when the policy the decision was made with is at hand (so a
 * reload that reorders entries does not shift it), else by its position in the rule.
 */
export class GrantUse {
  readonly #byText: Nested<string> = new Map();
  readonly #byPosition: Nested<number> = new Map();
  readonly #policy: (() => PolicySnapshot | undefined) | undefined;
  /** service → rule → allow entries, per policy generation, filled one service at a time: the
   *  services no request has used may not be compiled yet (service-table.ts). */
  #index: { generation: number; entries: Map<string, RuleEntries> } | undefined;

  constructor(policy?: () => PolicySnapshot | undefined) {
    this.#policy = policy;
  }

  /** Only allows count: a denied or shadow-denied request used no grant. */
  observe(d: Decision): void {
    if (d.verdict !== 'allow' || d.rule === '' || d.entry < 0) return;
    const text = this.#entryText(d);
    if (text !== undefined) add(this.#byText, d.service, d.rule, text);
    else add(this.#byPosition, d.service, d.rule, d.entry);
  }

  unused(snapshot: PolicySnapshot): UnusedGrant[] {
    const out: UnusedGrant[] = [];
    for (const [name, service] of snapshot.services) {
      for (const rule of service.rules) {
        rule.allowEntries.forEach((grant, entry) => {
          if (has(this.#byText, name, rule.name, grant) || has(this.#byPosition, name, rule.name, entry)) return;
          const { file, line } = rule.position;
          out.push({ service: name, rule: rule.name, entry, grant, mode: rule.mode, file, line });
        });
      }
    }
    return out;
  }

  #entryText(d: Decision): string | undefined {
    const snapshot = this.#policy?.();
    if (snapshot === undefined || snapshot.generation !== d.generation) return undefined;
    if (this.#index?.generation !== snapshot.generation) this.#index = { generation: snapshot.generation, entries: new Map() };
    let rules = this.#index.entries.get(d.service);
    if (rules === undefined) {
      const service = snapshot.services.get(d.service);
      if (service === undefined) return undefined;
      rules = ruleEntries(service);
      this.#index.entries.set(d.service, rules);
    }
    return rules.get(d.rule)?.[d.entry];
  }
}
