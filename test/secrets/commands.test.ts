// The `tamer` command with stored secrets (issue #9): `secrets set` reads the value from stdin (the
// real bin, a child process), and the one-off commands (`jobs sync`, `notify test`, `rules test`)
// run with the stored secrets as `serve` does (main() in process: no tsx start-up per call).
import { join } from 'node:path'
import { execa } from 'execa'
import t from 'tap'
import { openSecurityStore } from '../../src/store/sqlite/security-store.js'
import { startJenkinsEmulator } from '../../src/demo/jenkins-emulator/index.js'
import { runTamer } from '../support/cli.js'
import { KEY_A, secrets, tempDir, writeConfig } from '../support/operator.js'

import { childEnv, tamerArgv } from '../support/ts-hooks.js'

t.test('the tamer command: secrets set reads the value from stdin; list, delete', async (t) => {
  const dir = tempDir(t)
  const file = writeConfig(dir)
  const env = { ...process.env, TAMER_MASTER_KEY: KEY_A, TAMER_ACTOR: 'bob' }
  const set = await execa(
    process.execPath,
    tamerArgv('secrets', 'set', 'cb', '--kind', 'jenkins-callback-secret', '--config', file),
    {
      env: childEnv({ TAMER_MASTER_KEY: KEY_A, TAMER_ACTOR: 'bob' }),
      extendEnv: false,
      input: 'callback-from-stdin-01\n',
      reject: false,
    },
  )
  t.equal(set.exitCode, 0, set.stderr)
  const list = await runTamer(['secrets', 'list', '-c', file], { env })
  t.match(list.stdout, /^cb\tjenkins-callback-secret\tall tenants\tkey=/)
  t.notMatch(list.stdout + list.stderr, 'callback-from-stdin-01')
  const del = await runTamer(['secrets', 'delete', 'cb', '-c', file], { env })
  t.equal(del.exitCode, 0, del.stderr)
  const store = openSecurityStore(join(dir, 'data', 'tamer.db'))
  t.match(
    (await store.listAudit({ limit: 5 })).map((e) => `${e.actor} ${e.action} ${e.target}`),
    ['cli:bob secret.delete cb', 'cli:bob secret.set cb'],
  )
  await store.close()
})

t.test('one-off commands run with the stored secrets too: tamer jobs sync with a stored Jenkins token', async (t) => {
  const jenkins = await startJenkinsEmulator({ users: [{ id: 'tamer', apiToken: 'stored-jenkins-token-01' }] })
  t.teardown(() => jenkins.close())
  const dir = tempDir(t)
  const file = writeConfig(dir, {
    jenkins: { url: jenkins.url, user: 'tamer' },
    rules: [{ name: 'ds', repository: 'acme-ds/*', events: ['push'], template: 'tests-only', job: 'ds-tests' }],
  })
  const env = { ...process.env, TAMER_MASTER_KEY: KEY_A }
  t.equal(
    (await secrets(['set', 'jenkins', '--kind', 'jenkins-token', '--config', file], env, 'stored-jenkins-token-01'))
      .code,
    0,
  )
  const sync = await runTamer(['jobs', 'sync', '-c', file], { env })
  t.equal(sync.exitCode, 0, sync.stderr)
  t.match(sync.stdout, /ds-tests \(tests-only\)/)
  t.ok(jenkins.state.item('ds-tests'), 'Jenkins took the stored token: the job exists')
  t.notOk(
    jenkins.state.requests.some((r) => r.status === 401 || r.status === 403),
    'never refused',
  )
  const audit = openSecurityStore(join(dir, 'data', 'tamer.db'))
  t.match(
    (await audit.listAudit({ limit: 1 }))[0],
    { action: 'jobs.sync', actor: /^cli:/, target: jenkins.url, detail: { exitCode: 0 } },
    'an operator action',
  )
  await audit.close()
  const noKey = await runTamer(['jobs', 'sync', '-c', file], { env: { ...process.env, TAMER_MASTER_KEY: '' } })
  t.equal(noKey.exitCode, 2)
  t.match(noKey.stderr, /No master key: 1 stored secret needs TAMER_MASTER_KEY/)
})
