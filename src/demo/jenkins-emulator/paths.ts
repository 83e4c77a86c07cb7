import type { Item } from './types.js'

export function pathOf(item: Item): Item[] {
  const out: Item[] = []
  for (let it: Item | null = item; it && it.parent; it = it.parent) out.unshift(it)
  return out
}

export function fullName(item: Item): string {
  return pathOf(item)
    .map((i) => i.name)
    .join('/')
}

/** "folder » job" */
export function fullDisplayName(item: Item): string {
  return pathOf(item)
    .map((i) => i.name)
    .join(' » ')
}

/** Absolute item URL with trailing slash; names are URL-encoded per segment. */
export function itemUrl(root: string, item: Item): string {
  return `${root}/${pathOf(item)
    .map((i) => `job/${encodeURIComponent(i.name)}/`)
    .join('')}`
}

export function relativeItemUrl(item: Item): string {
  return pathOf(item)
    .map((i) => `job/${encodeURIComponent(i.name)}/`)
    .join('')
}
