// Reading a diff summary back (issue #11, item 6): which cells it names, in the order listed.

/** The cell numbers a summary names, old-side (`cell N`) and new-side (`new cell N`) apart, in the order listed. */
export function cellOrder(summary: string): { old: number[]; added: number[] } {
  const old: number[] = []
  const added: number[] = []
  for (const line of summary.split('\n')) {
    const m = /^\s*- (?:(?:added|removed) \w+ )?(new )?cell (\d+)/.exec(line)
    if (m) (m[1] ? added : old).push(Number(m[2]))
  }
  return { old, added }
}

export const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! <= x)
