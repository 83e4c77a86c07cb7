// Issue #11, item 12: every setting of the config schema has its row in the README's
// Configuration table, so the reference cannot drift from the schema again (it had lost
// jenkins.pollInitialMs, pollMaxMs, the retry and timeout settings, tokenIsPassword, …).
// A row names its keys in code spans in its first cell; `*` stands for one segment
// (`providers.*.repositories`), never for the last one (`jenkins.*` documents nothing). A list of
// objects (`rules`, `git.hosts`) has one row, whose code spans name every field of its items.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ConfigSchema } from '../../src/config/schema.js'

interface Schema {
  type?: string
  properties?: Record<string, Schema>
  items?: Schema
  anyOf?: Schema[]
}

interface Setting {
  path: string
  /** For a list of objects: the names of its items' fields (nested ones too). */
  fields: string[]
}

const objectsIn = (s: Schema): Schema[] => (s.properties ? [s] : (s.anyOf ?? []).flatMap(objectsIn))
const fieldNames = (s: Schema): string[] =>
  objectsIn(s).flatMap((o) => Object.entries(o.properties!).flatMap(([k, v]) => [k, ...fieldNames(v)]))

/** Every setting: the leaves of nested objects, each list of objects as one setting with its fields. */
function settings(s: Schema, prefix = ''): Setting[] {
  return Object.entries(s.properties ?? {}).flatMap(([key, v]) => {
    const path = prefix ? `${prefix}.${key}` : key
    if (v.type === 'object' && v.properties) return settings(v, path)
    return [{ path, fields: v.type === 'array' && v.items ? [...new Set(fieldNames(v.items))] : [] }]
  })
}

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8')
const section = /^## Configuration\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? ''
const rows = section
  .split('\n')
  .filter((l) => l.startsWith('| ') && !/^\|\s*-/.test(l))
  .map((line) => {
    const [, first = '', ...rest] = line.split(/(?<!\\)\|/)
    const spans = (s: string) => [...s.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)
    return { line, keys: spans(first), spans: spans(rest.join('|')) }
  })

const covers = (key: string, path: string) => {
  const k = key.split('.')
  const p = path.split('.')
  return k.length === p.length && k.at(-1) !== '*' && k.every((seg, i) => seg === p[i] || seg === '*')
}

t.test('the README documents every setting of the config schema', async (t) => {
  t.ok(rows.length > 10, 'the Configuration table is found')
  const all = settings(ConfigSchema as unknown as Schema)
  t.ok(
    all.some((s) => s.path === 'jenkins.pollInitialMs') && all.some((s) => s.path === 'notifications.smtp.host'),
    'the walk reaches nested settings',
  )
  for (const s of all) {
    const row = rows.find((r) => r.keys.some((k) => covers(k, s.path)))
    if (!row) {
      t.fail(`${s.path} has no row in the README's Configuration table`)
      continue
    }
    const words = new Set(row.spans.flatMap((x) => x.match(/[A-Za-z][A-Za-z0-9]*/g) ?? []))
    const missing = s.fields.filter((f) => !words.has(f))
    t.same(missing, [], `${s.path}: its row names every field of its items`)
  }
})

t.test('every key the table names is a setting', async (t) => {
  const all = settings(ConfigSchema as unknown as Schema).map((s) => s.path)
  for (const r of rows)
    for (const k of r.keys.filter((k) => /^[a-z][\w*]*(\.[\w*]+)*$/.test(k) && !k.endsWith('*')))
      t.ok(
        all.some((p) => covers(k, p)),
        `${k} is in the schema`,
      )
})
