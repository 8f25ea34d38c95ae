// A bounded memo for the load-time parsers (method specs, SPIFFE patterns): one policy set names
// the same pattern in many rules and services, and validation, lint and compilation each read it.
// The parsers are pure and their results frozen, so sharing a result is safe. Never per request.

/** Entries kept before the memo starts over (a bound, not a working-set estimate). */
export const MEMO_MAX = 50_000;

export function memoize<T>(parse: (text: string) => T, max = MEMO_MAX): (text: string) => T {
  const memo = new Map<string, T>();
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
