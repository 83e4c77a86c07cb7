// A trigger's ensure and a rewrite of the branch choices meeting on a job Jenkins does not have yet:
// one creates it, the other finds it (before, both created it and the second got 400 "already
// exists", which left the build waiting for a retry: the hang in test/pipeline/exactly-once).
import t from 'tap'
import { DEFAULT_USER } from '../../src/demo/jenkins-emulator/index.js'
import { createJenkinsApi } from '../../src/jenkins/client.js'
import { createProvisioner } from '../../src/jenkins/provision.js'
import { emulator } from '../support/jenkins-emulator/fixtures.js'

t.test('ensure and sync of a new job at once: one createItem, no refusal', async (t) => {
  const emu = await emulator(t)
  const api = createJenkinsApi({ url: emu.url, user: DEFAULT_USER.id, token: DEFAULT_USER.apiToken })
  const provisioner = createProvisioner(api)
  const job = 'ds/churn-model/main'
  const outcomes = await Promise.all([
    provisioner.ensure(job, 'tests-only'),
    provisioner.sync(job, 'tests-only'),
    provisioner.sync(job, 'tests-only'),
  ])
  t.same(outcomes, ['created', 'unchanged', 'unchanged'])
  const creates = emu.state.requests.filter(
    (r) => r.method === 'POST' && r.path.startsWith('/job/ds/job/churn-model/createItem'),
  )
  t.equal(creates.length, 1, 'the job is created once')
  t.same(
    emu.state.requests.filter((r) => (r.status ?? 200) >= 400 && r.method === 'POST').map((r) => r.path),
    [],
    'no POST refused',
  )
  t.equal(await provisioner.ensure(job, 'tests-only'), 'unchanged', 'then verified')
})

t.test('two replicas ensure a new job at once: the one Jenkins refuses finds it made', async (t) => {
  const emu = await emulator(t)
  const api = createJenkinsApi({ url: emu.url, user: DEFAULT_USER.id, token: DEFAULT_USER.apiToken })
  // Each replica its own provisioner (issue #16): nothing in memory tells one what the other is creating.
  const job = 'ds/churn-model/main'
  const outcomes = await Promise.all([
    createProvisioner(api).ensure(job, 'tests-only'),
    createProvisioner(api).ensure(job, 'tests-only'),
  ])
  t.same(outcomes.sort(), ['created', 'unchanged'], 'one created it, the other found it')
  const refused = emu.state.requests.filter((r) => (r.status ?? 200) >= 400 && r.method === 'POST')
  t.ok(refused.length > 0, 'Jenkins refused a create (the race happened)')
})
