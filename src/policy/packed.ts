// Lists the compiled policy keeps and the request path reads. Built by push and copied once:
// `Array.prototype.map` in optimized code makes holey arrays (slower to read in every match), and
// an array grown by push reserves 17 slots, most of them unused by lists of 1 to 5.

/** `items.map(each)`, packed and exactly as long as `items`. */
export function packedMap<T, U>(items: readonly T[], each: (item: T) => U): U[] {
  const out: U[] = [];
  for (let i = 0; i < items.length; i++) out.push(each(items[i] as T));
  return out.slice();
}
