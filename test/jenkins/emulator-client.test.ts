// The real `jenkins` npm client (1.1.0) against the emulator: the traps of
// src/jenkins/client.ts must show up exactly as they would against Jenkins.
import t from 'tap'
import { DEFAULT_USER } from '../../src/demo/jenkins-emulator/index.js'
import { Jenkins, type JenkinsResponseError } from '../support/jenkins-emulator/npm-client.js'
import { DOC_73_XML, emulator, pushJobXml } from '../support/jenkins-emulator/fixtures.js'

function clientUrl(url: string, secret: string = DEFAULT_USER.apiToken): string {
  const u = new URL(url)
  u.username = DEFAULT_USER.id
  u.password = secret
  return u.toString().replace(/\/$/, '')
}

async function rejection(p: Promise<unknown>): Promise<JenkinsResponseError> {
  try {
    await p
  } catch (err) {
    return err as JenkinsResponseError
  }
  throw new Error('expected a rejection')
}

t.test('crumbIssuer defaults to true: a crumb fetch before every POST, cookie forwarded', async (t) => {
  const j = await emulator(t, { quietPeriodSec: 0 })
  j.control.createJob('p', pushJobXml())
  const jenkins = new Jenkins({ baseUrl: clientUrl(j.url, DEFAULT_USER.password) })
  const before = j.state.requests.length
  const id1 = await jenkins.job.build({ name: 'p', parameters: { DELIVERY_ID: 'a' } })
  const id2 = await jenkins.job.build({ name: 'p', parameters: { DELIVERY_ID: 'b' } })
  t.equal(id1, 1)
  t.equal(id2, 2)
  const seen = j.state.requests.slice(before).map((r) => `${r.method} ${r.path.split('?')[0]}`)
  t.same(
    seen,
    [
      'GET /crumbIssuer/api/json',
      'POST /job/p/buildWithParameters',
      'GET /crumbIssuer/api/json',
      'POST /job/p/buildWithParameters',
    ],
    'no caching',
  )
  const post = j.state.requests.slice(before)[1]
  t.match(post?.headers['jenkins-crumb'], /^[0-9a-f]{64}$/)
  t.match(post?.headers.cookie, /^JSESSIONID\.[0-9a-f]{8}=/)
  t.match(post?.headers['content-type'], /^application\/x-www-form-urlencoded/)
  t.equal(post?.body, 'DELIVERY_ID=a')
  t.match(
    post?.headers.referer,
    `//${DEFAULT_USER.id}:${DEFAULT_USER.password}@127.0.0.1:`,
    'referer leaks the userinfo',
  )
  t.equal(post?.status, 201)

  // password auth without a crumb is refused, as by Jenkins
  const noCrumb = new Jenkins({ baseUrl: clientUrl(j.url, DEFAULT_USER.password), crumbIssuer: false })
  const err = await rejection(noCrumb.job.build({ name: 'p', parameters: { DELIVERY_ID: 'c' } }))
  t.equal(err.res?.statusCode, 403)

  // API token: crumbIssuer false halves the requests and still works
  const lean = new Jenkins({ baseUrl: clientUrl(j.url), crumbIssuer: false })
  const n = j.state.requests.length
  t.equal(await lean.job.build({ name: 'p', parameters: { DELIVERY_ID: 'd' } }), 3)
  t.same(
    j.state.requests.slice(n).map((r) => r.method),
    ['POST'],
  )

  // CSRF disabled: the issuer is 404 and the default client cannot POST at all
  j.control.setCsrf(false)
  const blocked = await rejection(
    new Jenkins({ baseUrl: clientUrl(j.url) }).job.build({ name: 'p', parameters: { DELIVERY_ID: 'e' } }),
  )
  t.match(blocked.message, 'crumbIssuer.get: not found')
  j.control.setCsrf(true)

  // expired session between crumb and POST cannot happen with this client (fresh crumb each time)
  j.control.expireCrumbs()
  t.equal(await jenkins.job.build({ name: 'p', parameters: { DELIVERY_ID: 'f' } }), 4)
})

t.test('a merged duplicate (303) is thrown as "see other" with the existing Location', async (t) => {
  const j = await emulator(t)
  j.control.createJob('p', pushJobXml())
  const jenkins = new Jenkins({ baseUrl: clientUrl(j.url), crumbIssuer: false })
  const id = await jenkins.job.build({ name: 'p', parameters: { COMMIT_SHA: 'abc', DELIVERY_ID: 'same' } })
  const err = await rejection(jenkins.job.build({ name: 'p', parameters: { COMMIT_SHA: 'abc', DELIVERY_ID: 'same' } }))
  t.equal(err.message, 'jenkins: job.build: see other')
  t.equal(err.res?.statusCode, 303)
  t.equal(err.res?.headers.location, `${j.url}/queue/item/${id}/`)
})

t.test('two quick pushes: distinct DELIVERY_ID → two builds; identical → one', async (t) => {
  const j = await emulator(t)
  j.control.createJob('p', pushJobXml())
  const jenkins = new Jenkins({ baseUrl: clientUrl(j.url), crumbIssuer: false })
  const a = await jenkins.job.build({ name: 'p', parameters: { COMMIT_SHA: 'abc', DELIVERY_ID: 'delivery-1' } })
  j.control.advance(200)
  const b = await jenkins.job.build({ name: 'p', parameters: { COMMIT_SHA: 'abc', DELIVERY_ID: 'delivery-2' } })
  t.not(a, b)
  const folded = await rejection(
    jenkins.job.build({ name: 'p', parameters: { COMMIT_SHA: 'abc', DELIVERY_ID: 'delivery-2' } }),
  )
  t.equal(folded.res?.statusCode, 303)
  j.control.advance(5000 + 200)
  const job = await jenkins.job.get('p')
  t.equal(job.builds.length, 2, 'two builds')
  const numbers = await Promise.all([a, b].map(async (id) => (await jenkins.queue.item(id)).executable.number))
  t.same(numbers.sort(), [1, 2])
  const builds = await Promise.all([1, 2].map((n) => jenkins.build.get('p', n)))
  const delivery = (b: { actions: { parameters?: { name: string; value: string }[] }[] }) =>
    b.actions[0]?.parameters?.find((p) => p.name === 'DELIVERY_ID')?.value
  t.same(builds.map(delivery), ['delivery-1', 'delivery-2'])
  t.same(
    builds.map((b) => b.actions[1].causes.length),
    [1, 2],
    'the folded request shows as a repeated cause',
  )
})

t.test(
  'queue.cancel expects 302: current Jenkins answers 204, so it rejects although the item is cancelled',
  async (t) => {
    const j = await emulator(t)
    j.control.createJob('p', pushJobXml())
    const jenkins = new Jenkins({ baseUrl: clientUrl(j.url), crumbIssuer: false })
    const id = await jenkins.job.build({ name: 'p', parameters: { DELIVERY_ID: 'x' } })
    const err = await rejection(jenkins.queue.cancel(id))
    t.equal(err.message, `jenkins: queue.cancel: failed to cancel: ${id}`)
    const item = await jenkins.queue.item(id)
    t.equal(item._class, 'hudson.model.Queue$LeftItem')
    t.equal(item.cancelled, true)
    t.same(await jenkins.queue.list(), [])
  },
)

t.test('jobs, builds, logs and 404s through the client', async (t) => {
  const j = await emulator(t, { quietPeriodSec: 0, buildableMs: 0, executableGapMs: 50 })
  const jenkins = new Jenkins({ baseUrl: clientUrl(j.url), crumbIssuer: false })
  await jenkins.job.create('p', DOC_73_XML)
  const dup = await rejection(jenkins.job.create('p', DOC_73_XML))
  t.equal(dup.message, 'jenkins: job.create: A job already exists with the name "p"', 'X-Error ? rewritten to "')
  t.equal(dup.res?.statusCode, 400)
  t.equal(await jenkins.job.exists('p'), true)
  t.equal(await jenkins.job.exists('nope'), false)
  t.match(await jenkins.job.config('p'), '<flow-definition')
  await jenkins.job.config('p', DOC_73_XML.replace('shared template', 'changed'))
  t.equal((await jenkins.job.get('p')).description, 'changed')

  j.control.setScenario('p', { durationMs: 2000 })
  const id = await jenkins.job.build({ name: 'p', parameters: { GIT_REF: 'x' } })
  t.equal((await jenkins.queue.item(id)).executable, null, 'executable:null right after leaving')
  j.control.advance(500)
  const part = await jenkins.build.log({ name: 'p', number: 1, meta: true })
  t.equal(part.more, true)
  t.equal(typeof part.size, 'string', 'size is the raw header string')
  j.control.advance(2000)
  const tail = await jenkins.build.log({ name: 'p', number: 1, start: Number(part.size), meta: true })
  t.equal(tail.more, false)
  t.match(tail.text, /Finished: SUCCESS\r\n$/)
  const b = await jenkins.build.get('p', 1)
  t.equal(b.building, false)
  t.equal(b.result, 'SUCCESS')

  const missing = await rejection(jenkins.build.get('p', 9))
  t.equal(missing.notFound, true)
  t.equal(missing.message, 'jenkins: build.get: p 9 not found')
  const noItem = await rejection(jenkins.queue.item(999))
  t.equal(noItem.message, 'jenkins: queue.item: not found')
  t.notOk(noItem.notFound)
  const noJob = await rejection(jenkins.job.build({ name: 'nope', parameters: { A: '1' } }))
  t.equal(noJob.notFound, true)

  j.control.setScenario('p', { durationMs: Infinity })
  await jenkins.job.build({ name: 'p', parameters: { GIT_REF: 'y' } })
  j.control.advance(100)
  await jenkins.build.stop('p', 2)
  t.equal((await jenkins.build.get('p', 2)).result, 'ABORTED')

  j.control.vanishJob('p')
  t.equal((await rejection(jenkins.job.get('p'))).notFound, true)
})

t.test('a Jenkins that is down or failing surfaces as errors in the client', async (t) => {
  const j = await emulator(t)
  j.control.createJob('p', pushJobXml())
  const jenkins = new Jenkins({ baseUrl: clientUrl(j.url), crumbIssuer: false })
  await j.control.down()
  const down = await rejection(jenkins.job.get('p'))
  t.match(String((down as Error & { code?: string }).code ?? down.message), /ECONNREFUSED/)
  await j.control.up()
  j.control.failNext(1)
  t.equal((await rejection(jenkins.job.get('p'))).res?.statusCode, 500)
  t.equal((await jenkins.job.get('p')).name, 'p')
})
