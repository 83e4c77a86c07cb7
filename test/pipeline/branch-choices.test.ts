// Branch picking in plain Jenkins (issue #14), against the Jenkins emulator (which refuses a value
// not among a ChoiceParameterDefinition's choices, as Jenkins does): a provisioned job's BRANCH is a
// choice list of the live branches, rewritten as branches appear and disappear; a build started by
// hand with a picked branch reports back with an empty DELIVERY_ID and is recorded, followed and
// finished like a push build.
import t from 'tap'
import { DEFAULT_USER } from '../../src/demo/jenkins-emulator/index.js'
import { CALLBACK_SECRET, startPipelineApp, type PipelineHarness } from '../support/pipeline-app.js'
import { SHA_C, ZERO } from '../support/payloads.js'
import { hmacHex } from '../support/sign.js'
import { until } from '../support/until.js'

const NASTY = 'feature/ü; rm -rf ~'
const JOB = 'tests/churn-model'
const RULES = [
  { name: 'tests', repository: 'acme-ds/*', events: ['push'], template: 'tests-only', job: 'tests/{repo}' },
]

function branchParam(h: PipelineHarness) {
  return h.jenkins.state.item(JOB)!.def.parameters.find((p) => p.name === 'BRANCH')!
}

/**
 * The rewrite runs off the registry's signal, after the push is routed: wait until the job the emulator
 * holds lists `choices` (every request answered was not enough: the rewrite's own request may not be
 * sent yet on a loaded machine), then let the pipeline take what the rewrite held back.
 */
async function settle(h: PipelineHarness, choices: string[]) {
  await h.drain()
  await h.service.branches.catchUp()
  await until(`BRANCH choices ${JSON.stringify(choices)}`, () => {
    const p = h.jenkins.state.item(JOB)?.def.parameters.find((x) => x.name === 'BRANCH')
    return (
      JSON.stringify(p?.choices) === JSON.stringify(choices) &&
      h.jenkins.state.requests.every((r) => r.status !== undefined)
    )
  })
  await h.drain()
}

t.test('BRANCH is a choice list of the live branches, rewritten as they come and go', async (t) => {
  const h = await startPipelineApp(t, { rules: RULES })
  await h.push()
  await settle(h, ['main'])
  let p = branchParam(h)
  t.equal(p.type, 'choice', 'a ChoiceParameterDefinition')
  t.same(p.choices, ['main'])
  t.match(
    h.jenkins.state.item(JOB)!.configXml,
    /<choices class="java.util.Arrays\$ArrayList">\s*<a class="string-array">/,
  )

  await h.push({ ref: `refs/heads/${NASTY}`, before: ZERO, after: SHA_C, created: true, commits: [] })
  await h.push({ ref: 'refs/heads/dev', before: ZERO, after: SHA_C, created: true, commits: [] })
  await settle(h, ['main', 'dev', NASTY])
  p = branchParam(h)
  t.same(p.choices, ['main', 'dev', NASTY], 'default branch first, then the most recently pushed')
  t.equal(p.defaultValue, 'main')
  const params = (await h.builds()).map((b) => b.parameters.BRANCH)
  t.same(params, ['main', NASTY, 'dev'], 'each push built its branch (Jenkins took each as a choice)')

  await h.push({ ref: 'refs/heads/dev', before: SHA_C, after: ZERO, deleted: true, commits: [] })
  await settle(h, ['main', NASTY])
  t.same(branchParam(h).choices, ['main', NASTY], 'a deleted branch leaves the list')
  const defaults = Object.fromEntries(h.jenkins.state.item(JOB)!.def.parameters.map((x) => [x.name, x.defaultValue]))
  t.match(defaults, {
    REPO_URL: 'https://github.com/acme-ds/churn-model.git',
    PROVIDER: 'github',
    CALLBACK_URL: 'https://tamer.example.com/api/jenkins/callback',
    DELIVERY_ID: '',
  })
})

t.test('a build started by hand with a picked branch is recorded and followed', async (t) => {
  const h = await startPipelineApp(t, { rules: RULES })
  await h.push()
  await h.push({ ref: `refs/heads/${NASTY}`, before: ZERO, after: SHA_C, created: true, commits: [] })
  await settle(h, ['main', NASTY])
  // Both push builds started (a trigger that met a job rewrite in flight waits for its retry).
  for (let i = 0; i < 20 && (await h.builds()).some((b) => b.buildNumber === null); i++) {
    h.advance(2_100)
    await h.drain()
  }
  t.equal(h.jenkins.state.item(JOB)!.builds.length, 2, 'the two push builds ran')
  for (const b of h.jenkins.state.item(JOB)!.builds) h.jenkins.control.completeBuild(JOB, b.number, 'SUCCESS')
  h.advance(60_000)
  await h.drain()

  // A person in Jenkins: "Build with Parameters", BRANCH picked from the list, everything else the defaults.
  const auth = `Basic ${Buffer.from(`${DEFAULT_USER.id}:${DEFAULT_USER.apiToken}`).toString('base64')}`
  const humanPost = (branch: string) =>
    fetch(`${h.jenkins.url}/job/tests/job/churn-model/buildWithParameters`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ BRANCH: branch }).toString(),
    })
  t.equal((await humanPost('not-a-branch')).status >= 400, true, 'Jenkins refuses a branch not in the list')
  t.equal((await humanPost(NASTY)).status, 201)
  h.advance(1_000)
  const manual = h.jenkins.state.item(JOB)!.builds.at(-1)!
  t.match(
    Object.fromEntries(manual.params!.map((x) => [x.name, x.value])),
    { BRANCH: NASTY, DELIVERY_ID: '', COMMIT_SHA: '' },
    'the picked branch, no DELIVERY_ID',
  )

  // The template's post block reports back (signed), with the commit it checked out.
  const body = JSON.stringify({
    delivery_id: '',
    job: JOB,
    build_number: manual.number,
    build_url: `${h.jenkins.url}/job/tests/job/churn-model/${manual.number}/`,
    branch: NASTY,
    commit_sha: SHA_C,
    result: 'FAILURE',
    failed_stage: 'Unit tests',
  })
  const callback = () =>
    h.app.inject({
      method: 'POST',
      url: '/api/jenkins/callback',
      headers: {
        'content-type': 'application/json',
        'x-tamer-signature': `sha256=${hmacHex('sha256', CALLBACK_SECRET, body)}`,
      },
      payload: body,
    })
  t.equal((await callback()).statusCode, 202)
  t.equal((await callback()).statusCode, 202, 'a repeated callback is the same build')
  await h.drain()
  const builds = await h.builds()
  const adopted = builds.filter((b) => b.buildNumber === manual.number)
  t.equal(adopted.length, 1, 'recorded once')
  t.match(adopted[0], { rule: 'tests', job: JOB, branch: NASTY, commitSha: SHA_C, state: 'running' })
  t.equal(h.jenkins.state.item(JOB)!.builds.length, 3, 'Jenkins ran the two push builds and the one by hand, no more')
  t.equal(builds.length, 3, 'Tamer has the two push builds and the adopted one')

  h.jenkins.control.completeBuild(JOB, manual.number, 'FAILURE')
  h.advance(60_000)
  await h.drain()
  t.match((await h.store.getBuild(adopted[0]!.id))!, { state: 'finished', result: 'FAILURE' })

  // A manual build of a job Tamer never built, or without a branch: 404.
  const unknown = JSON.stringify({ delivery_id: '', job: 'nobody/knows', build_number: 1, branch: 'main' })
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/jenkins/callback',
    headers: {
      'content-type': 'application/json',
      'x-tamer-signature': `sha256=${hmacHex('sha256', CALLBACK_SECRET, unknown)}`,
    },
    payload: unknown,
  })
  t.equal(res.statusCode, 404)
})
