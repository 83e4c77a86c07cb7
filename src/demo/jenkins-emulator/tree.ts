// `?tree=a,b[c,d]{0,5}` field selection (https://www.jenkins.io/doc/book/using/remote-access-api/).
// `_class` is always kept.

/**
 * A list whose elements are made only when written out: `allBuilds[…]{M,N}` of a long history
 * costs N-M builds, as Jenkins loads only the builds a range asks for.
 */
export class LazyList {
  readonly length: number
  private readonly at: (i: number) => unknown

  constructor(length: number, at: (i: number) => unknown) {
    this.length = length
    this.at = at
  }
  slice(from = 0, to = this.length): unknown[] {
    const out: unknown[] = []
    for (let i = Math.max(0, from); i < Math.min(to, this.length); i++) out.push(this.at(i))
    return out
  }
  toJSON(): unknown[] {
    return this.slice()
  }
}

export type TreeSpec = Map<string, { sub: TreeSpec | null; range?: [number, number | undefined] }>

export function parseTree(src: string): TreeSpec {
  let i = 0
  const parseList = (): TreeSpec => {
    const spec: TreeSpec = new Map()
    while (i < src.length) {
      const m = /^[A-Za-z_$][\w$]*/.exec(src.slice(i))
      if (!m) throw new Error(`bad tree at ${i}`)
      i += m[0].length
      let sub: TreeSpec | null = null
      let range: [number, number | undefined] | undefined
      if (src[i] === '[') {
        i++
        sub = parseList()
        if (src[i] !== ']') throw new Error('unclosed [')
        i++
      }
      if (src[i] === '{') {
        const r = /^\{(\d*)(?:,(\d*))?\}/.exec(src.slice(i))
        if (!r) throw new Error('bad range')
        const from = r[1] ? Number(r[1]) : 0
        const to = r[2] !== undefined ? (r[2] === '' ? undefined : Number(r[2])) : r[1] ? from + 1 : undefined
        range = [from, to]
        i += r[0].length
      }
      spec.set(m[0], range ? { sub, range } : { sub })
      if (src[i] === ',') i++
      else break
    }
    return spec
  }
  const spec = parseList()
  if (i !== src.length) throw new Error(`unexpected ${src[i]} in tree`)
  return spec
}

export function applyTree(value: unknown, spec: TreeSpec | null): unknown {
  if (spec === null || value === null || typeof value !== 'object') return value
  if (value instanceof LazyList) value = value.slice()
  if (Array.isArray(value)) return value.map((v) => applyTree(v, spec))
  const obj = value as Record<string, unknown>
  const out: Record<string, unknown> = {}
  if ('_class' in obj) out._class = obj._class
  for (const [key, { sub, range }] of spec) {
    if (!(key in obj)) continue
    let v = obj[key]
    if (range && (Array.isArray(v) || v instanceof LazyList)) v = v.slice(range[0], range[1])
    out[key] = applyTree(v, sub)
  }
  return out
}
