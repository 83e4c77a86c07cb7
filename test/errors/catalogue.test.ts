// The error catalogue (src/errors.ts) and the README's *Errors* table are one list, as fastify
// holds lib/errors.js and its docs in test/internals/errors.test.js (fastify/fastify docs/Reference/Errors.md):
// every code is documented with its status and message, nothing documented is missing from the
// code, every entry is used, and no TAMER_ code is made up outside the catalogue.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import * as errors from '../../src/errors.js'
import { ConfigError } from '../../src/errors.js'

const ROOT = join(import.meta.dirname, '..', '..')

interface Entry {
  name: string
  code: string
  statusCode: number | undefined
  /** The message with its `%s` placeholders unfilled. */
  format: string
  instance: Error
}

function entriesOf(): Entry[] {
  return Object.entries(errors).map(([name, E]) => {
    // @fastify/error leaves `%s` as is when given no arguments (util.format).
    const instance = E === ConfigError ? new ConfigError('%s', '%s') : new (E as new () => Error)()
    const { code, statusCode } = instance as Error & { code: string; statusCode?: number }
    return { name, code, statusCode, format: instance.message, instance }
  })
}

interface Row {
  code: string
  status: number
  message: string
  meaning: string
}

/** The rows of the README's `## Errors` table: | `CODE` | status | `message` | meaning | */
function readmeRows(): Row[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const start = readme.indexOf('\n## Errors\n')
  if (start < 0) return []
  const end = readme.indexOf('\n## ', start + 1)
  const section = readme.slice(start, end < 0 ? undefined : end)
  const rows: Row[] = []
  for (const line of section.split('\n')) {
    const m = /^\| `(TAMER_[A-Z0-9_]+)` \| (\d{3}) \| (`+) ?(.*?) ?\3 \| (.*) \|$/.exec(line)
    if (m) rows.push({ code: m[1]!, status: Number(m[2]), message: m[4]!, meaning: m[5]!.trim() })
  }
  return rows
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  )
}

/** Source text without comments, so a name mentioned only in a comment does not count as a use. */
const withoutComments = (s: string) => s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1')

const SRC = join(ROOT, 'src')
const CATALOGUE = join(SRC, 'errors.ts')
const sources = sourceFiles(SRC)
  .filter((f) => f !== CATALOGUE)
  .map((file) => ({ file: file.slice(ROOT.length + 1), text: withoutComments(readFileSync(file, 'utf8')) }))

const entries = entriesOf()
const rows = readmeRows()

t.test('every entry is a coded error with a TAMER_ code and an HTTP error status', async (t) => {
  t.ok(entries.length >= 30, `${entries.length} entries`)
  for (const e of entries) {
    t.type(e.instance, Error, `${e.name} is an Error`)
    t.match(e.name, /^[A-Z][A-Za-z]*Error$/, `${e.name}: named …Error`)
    t.match(e.code, /^TAMER_[A-Z0-9_]+$/, `${e.name}: code ${e.code}`)
    t.ok(e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode <= 599, `${e.name}: status ${e.statusCode}`)
    t.ok(e.format.length > 0 && !e.format.startsWith(e.code), `${e.name}: a message of its own`)
  }
  const codes = entries.map((e) => e.code)
  t.same(
    codes.filter((c, i) => codes.indexOf(c) !== i),
    [],
    'no code is declared twice',
  )
})

t.test("every code is in the README's Errors table with its status, message and a meaning", async (t) => {
  t.ok(rows.length > 0, 'the README has an Errors table')
  for (const e of entries) {
    const row = rows.find((r) => r.code === e.code)
    if (!row) {
      t.fail(`${e.code} (${e.name}) is not in the README's Errors table`)
      continue
    }
    t.equal(row.status, e.statusCode, `${e.code}: status`)
    t.equal(row.message, e.format, `${e.code}: message`)
    t.ok(row.meaning.length >= 10, `${e.code}: a meaning`)
  }
})

t.test('the README lists no code that does not exist, and each code once', async (t) => {
  const codes = new Set(entries.map((e) => e.code))
  for (const r of rows) t.ok(codes.has(r.code), `${r.code} is in src/errors.ts`)
  const listed = rows.map((r) => r.code)
  t.same(
    listed.filter((c, i) => listed.indexOf(c) !== i),
    [],
    'no code is listed twice',
  )
})

t.test('every entry is used in src/ outside the catalogue', async (t) => {
  for (const e of entries) {
    const use = new RegExp(`\\b${e.name}\\b`)
    const users = sources.filter((s) => use.test(s.text)).map((s) => s.file)
    t.ok(
      users.length > 0,
      `${e.name} (${e.code}) is used ${users.length ? `in ${users.join(', ')}` : 'nowhere in src/: remove it'}`,
    )
  }
})

t.test('no TAMER_ code is written outside the catalogue', async (t) => {
  // Quoted TAMER_ names in src/ are either catalogue codes (compared, or named in a type) or the
  // environment variables the README's Configuration documents; anything else is a code made up
  // inline, which belongs in src/errors.ts.
  const codes = new Set(entries.map((e) => e.code))
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const documented =
    readme.slice(0, readme.indexOf('\n## Errors\n')) +
    readme.slice(readme.indexOf('\n## ', readme.indexOf('\n## Errors\n') + 1))
  for (const s of sources) {
    for (const m of s.text.matchAll(/['"`](TAMER_[A-Z0-9][A-Z0-9_]*)['"`]/g)) {
      const name = m[1]!
      if (codes.has(name)) continue
      t.ok(
        new RegExp(`\\b${name}\\b`).test(documented),
        `${s.file}: ${name} is a catalogue code or a documented environment variable`,
      )
    }
  }
})

t.test('a bare Error thrown in src/ says it is a bug', async (t) => {
  // What can reach a user (an answer, a CLI message, an operator's log) is a catalogue entry or a
  // typed error; a plain Error is left only for invariants, and its message starts with "bug".
  // The Jenkins emulator (a dev tool the demo starts) fails as the Jenkins it stands in for, not as Tamer.
  for (const s of sources.filter((s) => !s.file.startsWith('src/demo/jenkins-emulator/'))) {
    for (const m of s.text.matchAll(/throw new Error\(\s*(['"`])([^'"`]{0,40})/g)) {
      t.match(m[2]!, /^bug\b/, `${s.file}: throw new Error(${m[1]}${m[2]}…`)
    }
  }
})
