// A bounded memo for the load-time parsers (method specs, SPIFFE patterns, segments): one policy
// set names the same pattern in many rules and services, and validation, lint and compilation each
// read it. The parsers are pure and their results frozen, so sharing a result is safe. The loader
// forgets them all after each load, so an old set's patterns are not kept. Never per request.

/** Entries kept before the memo starts over (a bound, not a working-set estimate). */
export const MEMO_MAX = 50_000;

const memos: Map<string, unknown>[] = [];

/** Empty every memo (the loader calls it when a load is over). */
export function forgetMemos(): void {
  for (const memo of memos) memo.clear();
}

export function memoize<T>(parse: (text: string) => T, max = MEMO_MAX): (text: string) => T {
  const memo = new Map<string, T>();
  memos.push(memo);
  return (text) => {
    let result = memo.get(text);
    if (result === undefined) {
      // Frozen: every caller shares this one object.
      result = Object.freeze(parse(text));
      if (memo.size >= max) memo.clear();
      memo.set(text, result);
    }
    return result;
  };
}
