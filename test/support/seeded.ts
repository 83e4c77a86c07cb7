// A small deterministic generator (mulberry32: https://gist.github.com/tommyettinger/46a874533244883189143505d203312c),
// so a differential test's failing seed can be run again. Numbers in [0, 1).
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
