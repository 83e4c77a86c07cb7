// `tamer rules test` and `tamer jobs sync` against a stored delivery and the emulator.
import t from 'tap'
import { catchUpBranchRegistry } from '../../src/cli/branch-registry.js'
import { jobsSync, rulesTest } from '../../src/pipeline/commands.js'
import { testConfig } from '../support/app.js'
import { githubPush, SHA_C, ZERO } from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'
import { storedPush } from '../support/stored-push.js'
import { DEFAULT_USER } from '../../src/demo/jenkins-emulator/index.js'
import { DS_RULE, startPipelineApp } from '../support/pipeline-app.js'

// Tags only: the push below does not provision it, so the first sync creates it.
const FIXED_RULE = {
  name: 'nightly',
  repository: 'acme-ds/*',
  events: ['tag'],
  template: 'data-science',
  job: 'nightly/churn',
}

function collect() {
  const lines: string[] = []
  return { out: (s: string) => lines.push(s), text: () => lines.join('') }
}

t.test('rules test shows each rule, why it matched or not, and the recorded outcome', async (t) => {
  const rules = [DS_RULE, { name: 'tags only', events: ['tag'], template: 'tests-only', job: 'tags/{repo}' }]
  const h = await startPipelineApp(t, { rules, jenkins: null })
  const { id } = await h.push()
  await h.drain()
  const config = testConfig({ rules })
  const c = collect()
  t.equal(await rulesTest(config, h.store, id, c.out), 0)
  const text = c.text()
  t.match(text, new RegExp(`delivery ${id}: github push acme-ds/churn-model`))
  t.match(text, /MATCH data science \(event 0\)/)
  t.match(text, /no +tags only \(event 0\)\n +event: push is not one of tag/)
  t.match(text, /=> recorded: ds\/churn-model\/main/)
  t.match(text, /recorded at .*: recorded/)
  const missing = collect()
  t.equal(await rulesTest(config, h.store, 'no-such-delivery', missing.out), 1)
  t.match(missing.text(), /no delivery no-such-delivery/)
})

t.test("rules test takes the host's delivery GUID too, and says when several deliveries share it", async (t) => {
  const h = await startPipelineApp(t, { rules: [DS_RULE], jenkins: null })
  const guid = '6a1b2c3d-0000-11ef-8e6a-000000000001'
  const { id } = await h.push({}, guid)
  await h.drain()
  const config = testConfig({ rules: [DS_RULE] })
  const c = collect()
  t.equal(await rulesTest(config, h.store, guid, c.out), 0, "GitHub's Recent deliveries GUID finds it")
  t.match(c.text(), new RegExp(`host delivery id ${guid} is Tamer's delivery ${id}`))
  t.match(c.text(), /MATCH data science/)
  // The same GUID from another hook (an org hook next to a repository hook): two deliveries to Tamer.
  const other = signedGitHub('push', githubPush(), { delivery: guid, hookId: '700000001' })
  t.equal(
    (await h.app.inject({ method: 'POST', url: '/hooks/github', headers: other.headers, payload: other.body }))
      .statusCode,
    202,
  )
  const both = collect()
  t.equal(await rulesTest(config, h.store, guid, both.out), 1)
  t.match(both.text(), new RegExp(`2 deliveries have host delivery id ${guid}; name one by Tamer's id`))
  t.match(both.text(), new RegExp(`\\n  ${id} github push acme-ds/churn-model`))
})

t.test("jobs sync creates the rules' fixed jobs and known jobs, then leaves them alone", async (t) => {
  const h = await startPipelineApp(t, { rules: [DS_RULE, FIXED_RULE] })
  await h.push()
  await h.drain() // provisions ds/churn-model/main on first use
  const config = testConfig({
    rules: [DS_RULE, FIXED_RULE],
    // The same publicUrl as the service's: the jobs' CALLBACK_URL default comes from it (issue #14).
    jenkins: {
      url: h.jenkins.url,
      user: DEFAULT_USER.id,
      token: DEFAULT_USER.apiToken,
      publicUrl: 'https://tamer.example.com',
    },
  })
  const first = collect()
  t.equal(await jobsSync(config, h.store, first.out), 0)
  t.match(first.text(), /created nightly\/churn \(data-science\)/)
  t.match(first.text(), /unchanged ds\/churn-model\/main \(tests-only\)/)
  t.ok(h.jenkins.state.item('nightly/churn'), 'the job exists in its folder')
  const second = collect()
  t.equal(await jobsSync(config, h.store, second.out), 0)
  t.match(second.text(), /unchanged nightly\/churn/)
  t.match(second.text(), /synced 2 job\(s\): 2 unchanged; 1 rule\(s\) skipped\n/)
  const none = collect()
  t.equal(await jobsSync(testConfig({ rules: [FIXED_RULE] }), h.store, none.out), 2, 'no Jenkins configured')
  t.match(none.text(), /no Jenkins configured/)
})

t.test('jobs sync with only per-event job names says which rules it skipped and why', async (t) => {
  const h = await startPipelineApp(t, { rules: [DS_RULE] })
  const untemplated = { name: 'legacy', events: ['push'], job: 'legacy-build' }
  const config = testConfig({
    rules: [DS_RULE, untemplated],
    // The same publicUrl as the service's: the jobs' CALLBACK_URL default comes from it (issue #14).
    jenkins: {
      url: h.jenkins.url,
      user: DEFAULT_USER.id,
      token: DEFAULT_USER.apiToken,
      publicUrl: 'https://tamer.example.com',
    },
  })
  const c = collect()
  t.equal(await jobsSync(config, h.store, c.out), 0)
  t.match(c.text(), new RegExp(`skipped rule ${DS_RULE.name}: job \\S*\\{[^ ]* is named per event; Tamer creates it`))
  t.match(c.text(), /skipped rule legacy: no template/)
  t.match(c.text(), /no jobs to sync \(2 rule\(s\), 2 skipped; no job started yet\)/)
  // After the first push the pipeline has created the job: from then on sync keeps it up to date.
  await h.push()
  await h.drain()
  // As `tamer jobs sync` does (src/cli/jobs.ts): the registry first takes the push (the server's may not yet).
  const after = collect()
  const catchUp = () => catchUpBranchRegistry(config, h.store, h.dir)
  t.equal(await jobsSync(config, h.store, after.out, { catchUp }), 0)
  t.match(after.text(), /unchanged ds\/churn-model\/main \(tests-only\)/)
  t.match(after.text(), /synced 1 job\(s\): 1 unchanged; 2 rule\(s\) skipped/)
})

t.test('jobs sync takes the pushes the server has not registered yet into the branch choices', async (t) => {
  const h = await startPipelineApp(t, { rules: [DS_RULE] })
  const config = testConfig({
    rules: [DS_RULE],
    jenkins: {
      url: h.jenkins.url,
      user: DEFAULT_USER.id,
      token: DEFAULT_USER.apiToken,
      publicUrl: 'https://tamer.example.com',
    },
  })
  await h.push()
  await h.drain()
  // A branch pushed and stored, and no signal to the server's registry yet (as when `tamer jobs sync` runs a moment
  // after a push, or another process stored it): no rule matches it, so nothing else reads it either.
  const payload = githubPush({ ref: 'refs/heads/feature/x', before: ZERO, after: SHA_C, created: true })
  await h.store.recordDelivery(storedPush(payload, 'unregistered'))
  await h.drain()
  const without = collect()
  t.equal(await jobsSync(config, h.store, without.out), 0)
  t.match(without.text(), /unchanged ds\/churn-model\/main/, 'without the catch-up the branch is not a choice yet')
  const withCatchUp = collect()
  t.equal(
    await jobsSync(config, h.store, withCatchUp.out, { catchUp: () => catchUpBranchRegistry(config, h.store, h.dir) }),
    0,
  )
  t.match(withCatchUp.text(), /updated ds\/churn-model\/main/)
  t.match(h.jenkins.state.item('ds/churn-model/main')?.configXml, /feature\/x/, "the branch is among the job's choices")
})
