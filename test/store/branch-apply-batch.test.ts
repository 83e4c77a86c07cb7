// A commit's pushes are applied with each branch's and repository's row written once (branch-writes.ts applyAll):
// random histories give the same rows, in the same order, and the same changed repositories as applying the
// pushes one at a time.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t from 'tap'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import type { BranchChange, RepositoryKey } from '../../src/store/branches.js'
import { seededRandom } from '../support/seeded.js'

function history(next: () => number, length: number): BranchChange[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!
  return Array.from({ length }, (_, i) => {
    const deleted = next() < 0.3
    return {
      tenant: pick(['default', 'other']),
      provider: 'github' as const,
      repository: pick(['acme/a', 'acme/b']),
      branch: pick(['main', 'dev', 'feature']),
      deleted,
      commitSha: deleted ? null : `${i}`.padStart(40, 'c'),
      authorName: `author ${i}`,
      authorEmail: null,
      committedAt: null,
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      defaultBranch: pick([null, 'main', 'dev']),
    }
  })
}

/** Every row of both tables, in seq order, without the seqs and the write times (each op has its own). */
function rows(file: string) {
  const db = new BetterSqlite3(file, { readonly: true })
  try {
    const strip = (r: Record<string, unknown>) => {
      const { seq: _s, updated_at: _u, ...rest } = r
      return rest
    }
    return {
      repositories: db
        .prepare('SELECT * FROM repositories ORDER BY seq')
        .all()
        .map((r) => strip(r as never)),
      branches: db
        .prepare('SELECT * FROM branches ORDER BY seq')
        .all()
        .map((r) => strip(r as never)),
    }
  } finally {
    db.close()
  }
}

const keyText = (k: RepositoryKey) => `${k.tenant}/${k.provider}/${k.repository}`

t.test('one op per commit writes what one op per push wrote', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-branch-batch-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (let seed = 1; seed <= 12; seed++) {
    const next = seededRandom(seed)
    // A registry with some rows already (a live or deleted branch before the commit), then the commit's pushes.
    const before = history(next, 1 + Math.floor(next() * 4))
    const pushes = history(next, 4 + Math.floor(next() * 16))
    const files = [join(dir, `one-${seed}.db`), join(dir, `each-${seed}.db`)]
    const stores = files.map((file) => openSqliteStore({ file }))
    for (const s of stores) await s.applyBranchChanges(before, null)
    const together = await stores[0]!.applyBranchChanges(pushes, null)
    const changed = new Set<string>()
    for (const p of pushes) for (const k of await stores[1]!.applyBranchChanges([p], null)) changed.add(keyText(k))
    for (const s of stores) await s.close()
    t.same(together.map(keyText), [...changed], `seed ${seed}: the repositories told of`)
    t.same(rows(files[0]!), rows(files[1]!), `seed ${seed}: the rows and their order`)
  }
})
