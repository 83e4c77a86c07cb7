// `tamer run <repo> <branch> --rule NAME` (issue #14): the run is stored in the store, as the API
// stores one (pending, for `tamer serve` to route); a deleted branch is refused with its code.
import { join } from 'node:path'
import t from 'tap'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { runTamer } from '../support/cli.js'
import { tempDir, writeConfig } from '../support/operator.js'
import { SHA_C } from '../support/payloads.js'

const NASTY = 'feature/ü; rm -rf ~'
const RULE = { name: 'tests', repository: 'acme-ds/*', events: ['push'], template: 'tests-only', job: 'tests/{repo}' }

t.test('tamer run stores a run of the branch head; a deleted branch is refused', async (t) => {
  const dir = tempDir(t)
  const file = writeConfig(dir, { rules: [RULE] })
  const key = { tenant: 'ds', provider: 'github' as const, repository: 'acme-ds/churn-model' }
  const change = { ...key, branch: NASTY, commitSha: SHA_C, authorName: 'Ada', authorEmail: null, committedAt: null }
  const store = openSqliteStore({ file: join(dir, 'data', 'tamer.db') })
  await store.applyBranchChanges(
    [{ ...change, deleted: false, at: new Date().toISOString(), defaultBranch: 'main' }],
    null,
  )
  await store.close()

  const ok = await runTamer(['run', 'acme-ds/churn-model', NASTY, '--rule', 'tests', '-c', file])
  t.equal(ok.exitCode, 0, ok.stderr)
  t.match(ok.stdout, `rule tests, job tests/churn-model, acme-ds/churn-model ${JSON.stringify(NASTY)} at ${SHA_C}`)
  const after = openSqliteStore({ file: join(dir, 'data', 'tamer.db') })
  const [d] = await after.listDeliveries({ limit: 5 })
  t.match(d, { eventType: 'run', status: 'pending', repository: 'acme-ds/churn-model', tenant: 'ds' })
  t.match(d!.normalized, {
    kind: 'events',
    events: [{ branch: NASTY, after: SHA_C, run: { by: 'cli', rule: 'tests' } }],
  })
  t.match((await after.listAudit({ limit: 1 }))[0], { action: 'branch.run', actor: /^cli:/ })
  await after.applyBranchChanges(
    [{ ...change, deleted: true, commitSha: null, at: new Date().toISOString(), defaultBranch: null }],
    null,
  )
  await after.close()

  const gone = await runTamer(['run', 'acme-ds/churn-model', NASTY, '--rule', 'tests', '-c', file])
  t.equal(gone.exitCode, 2)
  t.match(gone.stderr, /TAMER_BRANCH_GONE/)
  t.equal((await runTamer(['run', 'only-one-arg', '-c', file])).exitCode, 1)
})
