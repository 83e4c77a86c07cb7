// The branch registry from the remote (issue #14): a real git repository in a temp dir, listed
// through the mirror cache (fetch --prune, then the mirror's refs/heads) into real SQLite. A branch
// named with unicode and shell metacharacters is listed as it is; one deleted on the remote leaves.
import t from 'tap'
import { MirrorCache } from '../../src/git/mirror.js'
import { createLogger } from '../../src/logging.js'
import { createBranchTracker } from '../../src/pipeline/branches.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { gitAvailable, makeRepo, tempDir } from '../git/repo.js'

// git refuses spaces and `~` in ref names (git-check-ref-format), not `;`, `$`, `(`, `&` or `|`.
const NASTY = 'feature/ü;$(id)&|x'

t.test('the remote lists the branches, heads and authors; deletions leave', async (t) => {
  if (!(await gitAvailable()))
    return void (process.env.CI ? t.fail('git is required in CI') : t.skip('no git', () => {}))
  const repo = await makeRepo(t, { fullName: 'acme-ds/churn-model' })
  repo.write({ 'a.txt': 'a' })
  const main = await repo.commit('first')
  await repo.push('main')
  await repo.git('checkout', '--quiet', '-b', NASTY)
  repo.write({ 'b.txt': 'b' })
  const nasty = await repo.commit('second')
  await repo.push(NASTY)
  const dir = tempDir(t, 'tamer-sync-')
  const store = openSqliteStore({ file: `${dir}/tamer.db` })
  t.teardown(() => store.close())
  const mirrors = new MirrorCache({
    dir: `${dir}/mirrors`,
    allowProtocols: ['file'],
    hosts: [{ provider: 'github', url: repo.base }],
  })
  const tracker = createBranchTracker({ store, logger: createLogger('silent'), mirrors })
  const key = { tenant: 'default', provider: 'github' as const, repository: 'acme-ds/churn-model' }
  t.equal(await tracker.sync(key), true, 'new branches')
  const live = await store.listBranches({ repository: key.repository, state: 'live', limit: 10 })
  t.same(
    live.map((b) => [b.branch, b.commitSha]).sort(),
    [
      [NASTY, nasty],
      ['main', main],
    ].sort(),
  )
  t.match(live[0], { authorName: 'T', authorEmail: 't@example.com', source: 'remote' })
  t.same(await store.branchChoices(key, 10), ['main', NASTY], 'the default branch first')
  t.equal(await tracker.sync(key), false, 'nothing changed')

  await repo.git('push', '--quiet', 'origin', '--delete', NASTY)
  t.equal(await tracker.sync(key), true)
  t.same(await store.branchChoices(key, 10), ['main'])
  t.match(await store.getBranch(key, NASTY), { deletedAt: /^\d{4}-/ })
})
