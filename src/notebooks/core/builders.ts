/** nbdime's `SequenceDiffBuilder` / `MappingDiffBuilder` ordering rules (`nbdime/diff_format.py`). */
import type { DiffEntry, JsonValue } from './model.js'
import { compareCodePoints } from './text.js'

export class SequenceDiffBuilder {
  readonly entries: DiffEntry[] = []

  /** Sorted insert: at an equal key, `addrange` goes before `removerange`/`patch`. */
  append(e: DiffEntry): void {
    const d = this.entries
    let pos = d.length
    const key = e.key as number
    if (e.op === 'addrange') {
      while (pos > 0 && ((d[pos - 1] as DiffEntry).key as number) >= key) pos--
    } else {
      while (pos > 0 && ((d[pos - 1] as DiffEntry).key as number) > key) pos--
    }
    d.splice(pos, 0, e)
  }

  addrange(key: number, valuelist: JsonValue[] | string): void {
    if (valuelist.length) this.append({ op: 'addrange', key, valuelist })
  }

  removerange(key: number, length: number): void {
    if (length) this.append({ op: 'removerange', key, length })
  }

  patch(key: number, diff: DiffEntry[]): void {
    if (diff.length) this.append({ op: 'patch', key, diff })
  }
}

export class MappingDiffBuilder {
  private readonly byKey = new Map<string, DiffEntry>()

  append(e: DiffEntry): void {
    this.byKey.set(e.key as string, e)
  }
  add(key: string, value: JsonValue): void {
    this.append({ op: 'add', key, value })
  }
  remove(key: string): void {
    this.append({ op: 'remove', key })
  }
  replace(key: string, value: JsonValue): void {
    this.append({ op: 'replace', key, value })
  }
  patch(key: string, diff: DiffEntry[]): void {
    if (diff.length) this.append({ op: 'patch', key, diff })
  }

  /** Entries sorted by key, like `sorted(..., key=lambda x: x.key)`. */
  validated(): DiffEntry[] {
    return [...this.byKey.values()].sort((a, b) => compareCodePoints(a.key as string, b.key as string))
  }
}
