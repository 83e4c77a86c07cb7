// A new job's provisioning asks for the job's config and its folders' at once, then creates what is missing from
// the top down (issue #12: the first burst of a new job waited for six requests in a row, each behind a turn of a
// busy event loop); a job that exists is found in that one round, without a write.
import t from 'tap'
import { DEFAULT_USER } from '../../src/demo/jenkins-emulator/index.js'
import { createJenkinsApi, type JenkinsApi } from '../../src/jenkins/client.js'
import { createProvisioner } from '../../src/jenkins/provision.js'
import { emulator } from '../support/jenkins-emulator/fixtures.js'

/** The real client, with each provisioning call noted as it starts (the emulator logs requests as they end). */
function noting(api: JenkinsApi, calls: string[]): JenkinsApi {
  return {
    ...api,
    getConfig: (job) => (calls.push(`get ${job}`), api.getConfig(job)),
    createItem: (job, xml) => (calls.push(`create ${job}`), api.createItem(job, xml)),
    updateConfig: (job, xml) => (calls.push(`update ${job}`), api.updateConfig(job, xml)),
  }
}

t.test('the job and its folders are looked up before anything is created; then created top down', async (t) => {
  const emu = await emulator(t)
  const api = createJenkinsApi({ url: emu.url, user: DEFAULT_USER.id, token: DEFAULT_USER.apiToken })
  const job = 'ds/churn-model/main'
  let calls: string[] = []
  t.equal(await createProvisioner(noting(api, calls)).ensure(job, 'tests-only'), 'created')
  t.same(new Set(calls.slice(0, 3)), new Set(['get ds', 'get ds/churn-model', `get ${job}`]), 'three look-ups first')
  t.same(calls.slice(3), ['create ds', 'create ds/churn-model', `create ${job}`], 'then the creates, top down')
  t.equal(emu.state.requests.length, 6, 'six requests, none refused')
  t.same(
    emu.state.requests.filter((r) => (r.status ?? 200) >= 400 && r.method === 'POST'),
    [],
    'no POST refused',
  )

  // A restarted process (a provisioner that verified nothing) finds the job in that one round and writes nothing.
  calls = []
  t.equal(await createProvisioner(noting(api, calls)).ensure(job, 'tests-only'), 'unchanged')
  t.same(new Set(calls), new Set(['get ds', 'get ds/churn-model', `get ${job}`]), 'three look-ups, no write')

  // Another job in folders this provisioner has verified: its own look-up and create only.
  calls = []
  const p = createProvisioner(noting(api, calls))
  await p.ensure(job, 'tests-only')
  calls.length = 0
  t.equal(await p.ensure('ds/churn-model/dev', 'tests-only'), 'created')
  t.same(calls, ['get ds/churn-model/dev', 'create ds/churn-model/dev'])
})
