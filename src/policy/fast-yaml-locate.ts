// Answers "where is the value at this path" from the fast parser's position tape, exactly as
// yaml-source's walk over `yaml` nodes does (nearest existing node, key of the last step,
// whether the whole path exists). It reads keys again from the text; it parses nothing else.

import { Cursor } from './fast-yaml-cursor.js';
import type { FastYaml } from './fast-yaml.js';
import { implicitKey } from './fast-yaml-flow.js';

export interface Located {
  /** Offset of the deepest node the path reaches. */
  readonly offset: number;
  /** Offset of the key of the last step, when the path exists and ends on a map key. */
  readonly keyOffset: number | undefined;
  readonly complete: boolean;
}

export type Locator = (path: readonly (string | number)[]) => Located;

/** A lookup function for one document; keys read back from the text are cached, since the
 *  compiler asks for the position of every rule (`rules`, then the index). */
export function locator(doc: FastYaml): Locator {
  const keys = new Map<number, string | undefined>();
  const cursor = new Cursor(doc.text, false);
  const keyText = (offset: number): string | undefined => {
    if (!keys.has(offset)) keys.set(offset, readKey(cursor, offset));
    return keys.get(offset);
  };
  return (path) => {
    let ref = doc.root;
    let keyOffset: number | undefined;
    for (const step of path) {
      const next = ref < 0 ? childOf(doc.tape, -ref - 1, step, keyText) : undefined;
      if (next === undefined) return { offset: offsetOf(doc, ref), keyOffset, complete: false };
      ref = next.ref;
      keyOffset = next.keyOffset;
    }
    return { offset: offsetOf(doc, ref), keyOffset, complete: true };
  };
}

function offsetOf(doc: FastYaml, ref: number): number {
  return ref >= 0 ? ref : (doc.tape[-ref - 1] ?? 0);
}

/** The child `step` of the record at `at`: by key text for a map (String(step), so `0` finds
 *  the key "0" as yaml-source's walk does), by integer index for a sequence. */
function childOf(
  tape: Int32Array,
  at: number,
  step: string | number,
  keyText: (offset: number) => string | undefined,
): { ref: number; keyOffset: number | undefined } | undefined {
  const head = tape[at + 1] ?? 0;
  const count = head >> 1;
  if ((head & 1) === 0) {
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0 || step >= count) return undefined;
    return { ref: tape[at + 2 + step] ?? 0, keyOffset: undefined };
  }
  const wanted = String(step);
  for (let k = 0; k < count; k++) {
    const keyOffset = tape[at + 2 + 2 * k] ?? 0;
    if (keyText(keyOffset) === wanted) return { ref: tape[at + 3 + 2 * k] ?? 0, keyOffset };
  }
  return undefined;
}

/** The key that starts at `offset`; it was read the same way once already, so it parses. */
function readKey(cursor: Cursor, offset: number): string | undefined {
  cursor.i = offset;
  try {
    return implicitKey(cursor);
  } catch {
    return undefined; // cannot happen (see above); a lookup must not throw
  }
}
