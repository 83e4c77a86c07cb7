// Sign-off through Tamer end to end (issue #15, item 4): a data-science repository whose `.tamer.yml`
// names two parties for production, on a real git server; the real service (SQLite, pipeline, notifier);
// the Jenkins emulator running the build to its `input id: 'TamerSignoff'`; the template's signed
// request; a real SMTP server whose mails are read back; the parties' links followed as a browser would
// (GET the confirm page, POST its form with the cookie it set).
import t from 'tap'
import { createSignoffLinks } from '../../src/links/signoff-links.js'
import { gitAvailable } from '../git/repo.js'
import { startSmtpPeer, type SmtpPeer } from '../support/notify/peers.js'
import { sign, startMetricsHarness, type MetricsHarness } from '../support/metrics.js'
import type { BuildRecord } from '../../src/store/builds.js'

const LINK_SECRET = 'signoff-link-secret'
const ADMIN = 'signoff-admin-token'
const SETTINGS = `signoff:
  production: [Ada@Example.com, bob@example.com]
`

interface Teardown {
  teardown(fn: () => unknown): void
}
type Asserts = Pick<typeof t, 'equal'>

interface Page {
  status: number
  text: string
  cookie: string | null
  form: Record<string, string>
}

async function start(t: Teardown, smtp: SmtpPeer, config: Record<string, unknown> = {}) {
  const m = await startMetricsHarness(t, {
    notifier: true,
    config: {
      ...config,
      links: { secret: LINK_SECRET },
      api: { tokens: [{ token: ADMIN, scope: 'admin', name: 'admin' }] },
      notifications: {
        smtp: { host: '127.0.0.1', port: smtp.port, from: 'Tamer <ci@tamer.example.com>' },
        // The team hears of an aborted deployment, with its sign-off state.
        rules: [{ name: 'aborted', on: ['aborted'], to: ['team@example.com'] }],
      },
    },
  })
  // The template's deploy stage: the build pauses at Tamer's input, Tamer's user being its only submitter.
  m.h.jenkins.control.setDefaultScenario({
    durationMs: 4000,
    stages: ['Checkout', 'Sign-off', 'Deploy'],
    input: { id: 'TamerSignoff', message: 'Deploy to production?', ok: 'Deploy', submitter: 'tamer', atMs: 1000 },
  })
  return m
}

/** Push, let the build start and reach its input, then post what the template posts. */
async function requestSignoff(t: Asserts, m: MetricsHarness, branch: string, smtp: SmtpPeer) {
  const before = smtp.mails.length
  const { build } = await m.push(branch, { '.tamer.yml': SETTINGS, 'model.py': `${branch}\n` })
  for (let i = 0; i < 5; i++) {
    m.h.advance(1_000)
    await m.h.drain()
  }
  const b = (await m.h.store.getBuild(build!.id))!
  t.equal(b.state, 'running', `${branch}: the build runs (paused at its input)`)
  const res = await post(m, b, { environment: 'production' })
  t.equal(res.statusCode, 200, res.body)
  await m.h.service.notifier.drain()
  const mails = smtp.mails.slice(before)
  return { build: b, answer: res.json(), mails }
}

async function post(m: MetricsHarness, b: BuildRecord, extra: Record<string, unknown>) {
  const body = JSON.stringify({
    delivery_id: b.parameters.DELIVERY_ID,
    job: b.job,
    build_number: b.buildNumber,
    input_id: 'TamerSignoff',
    ...extra,
  })
  return m.h.app.inject({
    method: 'POST',
    url: '/api/jenkins/signoff',
    headers: { 'content-type': 'application/json', 'x-tamer-signature': sign(body) },
    payload: body,
  })
}

const linkOf = (text: string, word: 'Approve' | 'Reject') => {
  const url = new RegExp(`${word}:\\s+(\\S+)`).exec(text)?.[1]
  if (!url) throw new Error(`no ${word} link in: ${text}`)
  const u = new URL(url)
  return u.pathname + u.search
}

async function open(m: MetricsHarness, path: string): Promise<Page> {
  const res = await m.h.app.inject({ method: 'GET', url: path })
  const form: Record<string, string> = {}
  for (const x of res.body.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g))
    form[x[1]!] = x[2]!
      .replace(/&amp;/g, '&')
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
  const set = res.headers['set-cookie']
  const cookie = (Array.isArray(set) ? set[0] : set)?.split(';')[0] ?? null
  return { status: res.statusCode, text: res.body, cookie, form }
}

async function submit(m: MetricsHarness, path: string, form: Record<string, string>, cookie: string | null) {
  return m.h.app.inject({
    method: 'POST',
    url: path.split('?')[0]!,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    payload: new URLSearchParams(form).toString(),
  })
}

/** Follows a link as a person does: the confirm page, then its form. */
async function decide(t: Asserts, m: MetricsHarness, path: string) {
  const p = await open(m, path)
  t.equal(p.status, 200, `the confirm page opens: ${p.text.slice(0, 300)}`)
  return submit(m, path, p.form, p.cookie)
}

const inputPosts = (m: MetricsHarness) =>
  m.h.jenkins.state.requests
    .filter((r) => r.method === 'POST' && /\/input\//.test(r.path))
    .map((r) => `${r.path.replace(/^.*\/(\d+)\/input\//, '$1 ')} ${r.status}`)

const auditActions = async (m: MetricsHarness) =>
  (
    (
      await m.h.app.inject({
        method: 'GET',
        url: '/api/audit?limit=100',
        headers: { authorization: `Bearer ${ADMIN}` },
      })
    ).json().items as { action: string; actor: string }[]
  )
    .map((e) => `${e.action} ${e.actor}`)
    .reverse()

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test('every party approves: Jenkins proceeds once; replays and outsiders change nothing', async (t) => {
    const smtp = await startSmtpPeer()
    t.teardown(() => smtp.close())
    const m = await start(t, smtp)
    const { build, answer, mails } = await requestSignoff(t, m, 'main', smtp)
    t.match(answer, {
      inputId: 'TamerSignoff',
      submitter: 'tamer',
      parties: ['ada@example.com', 'bob@example.com'],
      state: 'waiting',
      created: true,
    })
    t.same(mails.map((x) => x.envelopeTo).sort(), [['ada@example.com'], ['bob@example.com']], 'one mail per party')
    const ada = mails.find((x) => x.envelopeTo[0] === 'ada@example.com')!.parsed.text!
    const bob = mails.find((x) => x.envelopeTo[0] === 'bob@example.com')!.parsed.text!
    t.match(ada, /Every required party must approve: ada@example\.com, bob@example\.com/)

    // The template retries its request: the same sign-off, no second mail.
    const again = await post(m, build, { environment: 'production' })
    t.match(again.json(), { signoffId: answer.signoffId, created: false })
    await m.h.service.notifier.drain()
    t.equal(smtp.mails.length, 2, 'no second round of mails')

    // A mail scanner prefetches every link: GETs never act.
    for (const text of [ada, bob]) for (const w of ['Approve', 'Reject'] as const) await open(m, linkOf(text, w))
    let s = (await m.h.store.getSignoff(answer.signoffId))!
    t.equal(s.state, 'waiting', 'following the links decided nothing')
    t.same(inputPosts(m), [])

    // A forged POST: the link's fields without the confirm page's CSRF token (or with another page's).
    const page = await open(m, linkOf(ada, 'Reject'))
    const { csrf: _csrf, ...noToken } = page.form
    let res = await submit(m, linkOf(ada, 'Reject'), noToken, page.cookie)
    t.equal(res.statusCode, 403, 'no CSRF token: 403')
    res = await submit(m, linkOf(ada, 'Reject'), page.form, null)
    t.equal(res.statusCode, 403, 'the token without its cookie: 403')
    const bobPage = await open(m, linkOf(bob, 'Reject'))
    res = await submit(m, linkOf(ada, 'Reject'), { ...page.form, csrf: bobPage.form.csrf! }, bobPage.cookie)
    t.equal(res.statusCode, 403, "another link's token: 403")
    s = (await m.h.store.getSignoff(answer.signoffId))!
    t.same(
      s.parties.map((p) => p.decision),
      [null, null],
      'nothing changed',
    )

    // Someone who is not a party: a link changed to name them, and a validly signed one for them.
    const forged = linkOf(ada, 'Approve').replace('ada%40example.com', 'mallory%40example.com')
    let p = await open(m, forged)
    t.equal(p.status, 403)
    t.match(p.text, /This link is not valid/)
    const links = createSignoffLinks({ secret: LINK_SECRET, publicUrl: 'https://tamer.example.com' })
    const outsider = new URL(
      links.urlFor({
        signoffId: answer.signoffId,
        party: 'mallory@example.com',
        decision: 'approved',
        exp: Math.floor(m.h.clock.now() / 1000) + 3600,
      })!,
    )
    p = await open(m, outsider.pathname + outsider.search)
    t.equal(p.status, 403)
    t.match(p.text, /You are not a party of this sign-off/)
    const l = { signoffId: answer.signoffId, party: 'mallory@example.com', decision: 'approved', exp: '' }
    l.exp = outsider.searchParams.get('exp')!
    const c = links.csrfFor(l)
    res = await submit(
      m,
      outsider.pathname,
      { ...Object.fromEntries(outsider.searchParams), csrf: c.token },
      `tamer_signoff_csrf=${c.cookie}`,
    )
    t.equal(res.statusCode, 403, 'a non-party is refused on POST too')
    t.match(res.body, /not a party/)

    // Ada approves: recorded; Jenkins still waits for Bob.
    res = await decide(t, m, linkOf(ada, 'Approve'))
    t.equal(res.statusCode, 200, res.body)
    t.match(res.body, /The deployment waits for the other parties/)
    t.same(inputPosts(m), [], 'one approval of two: Jenkins is not told')
    // Ada's link again (and her reject link): already used.
    p = await open(m, linkOf(ada, 'Approve'))
    t.equal(p.status, 409)
    t.match(p.text, /already used/)
    p = await open(m, linkOf(ada, 'Reject'))
    t.equal(p.status, 409, "a party's other link is used up too")
    res = await submit(m, linkOf(ada, 'Reject'), page.form, page.cookie)
    t.equal(res.statusCode, 409, 'a replayed POST changes nothing')

    // Bob approves: every party did; Jenkins proceeds, once.
    res = await decide(t, m, linkOf(bob, 'Approve'))
    t.equal(res.statusCode, 200, res.body)
    t.match(res.body, /Jenkins was told to proceed/)
    t.same(inputPosts(m), [`${build.buildNumber} TamerSignoff/proceedEmpty 200`])
    res = await submit(m, linkOf(bob, 'Approve'), (await open(m, linkOf(bob, 'Approve'))).form, null)
    t.equal(res.statusCode, 403, 'no page is served for a used link, so no token either')
    await m.h.service.signoff.sweep()
    t.equal(inputPosts(m).length, 1, 'the sweep does not settle it again')

    for (let i = 0; i < 6; i++) {
      m.h.advance(2_000)
      await m.h.drain()
    }
    t.match(await m.h.store.getBuild(build.id), { state: 'finished', result: 'SUCCESS' }, 'the deploy ran')

    // The trail: /api/builds/:id and the audit log.
    const detail = (
      await m.h.app.inject({
        method: 'GET',
        url: `/api/builds/${build.id}`,
        headers: { authorization: `Bearer ${ADMIN}` },
      })
    ).json()
    t.match(detail.signoffs, [
      {
        id: answer.signoffId,
        environment: 'production',
        state: 'approved',
        jenkinsAction: 'proceed',
        summary: /^production sign-off APPROVED: approved by ada@example\.com \(.+\), bob@example\.com \(.+\)$/,
        parties: [
          { party: 'ada@example.com', decision: 'approved', decidedAt: String },
          { party: 'bob@example.com', decision: 'approved', decidedAt: String },
        ],
      },
    ])
    t.same(
      (await auditActions(m)).filter((a) => a.startsWith('signoff.')),
      [
        `signoff.request jenkins:${build.job} #${build.buildNumber}`,
        'signoff.approve party:ada@example.com',
        'signoff.approve party:bob@example.com',
        'signoff.proceed tamer',
      ],
    )
  })

  t.test('one rejection aborts; an expired link, no parties and an unsigned request change nothing', async (t) => {
    const smtp = await startSmtpPeer()
    t.teardown(() => smtp.close())
    const m = await start(t, smtp, { metrics: { signoffTtlHours: 1 } })

    const first = await requestSignoff(t, m, 'main', smtp)
    const bob = first.mails.find((x) => x.envelopeTo[0] === 'bob@example.com')!.parsed.text!
    const ada = first.mails.find((x) => x.envelopeTo[0] === 'ada@example.com')!.parsed.text!
    let res = await decide(t, m, linkOf(bob, 'Reject'))
    t.equal(res.statusCode, 200, res.body)
    t.match(res.body, /Jenkins was told to abort/)
    t.same(inputPosts(m), [`${first.build.buildNumber} TamerSignoff/abort 200`], 'one rejection aborts, once')
    const p = await open(m, linkOf(ada, 'Approve'))
    t.equal(p.status, 409, 'the others cannot approve a rejected sign-off')
    t.match(p.text, /already decided/)
    for (let i = 0; i < 4; i++) {
      m.h.advance(2_000)
      await m.h.drain()
    }
    t.match(await m.h.store.getBuild(first.build.id), { state: 'finished', result: 'ABORTED' })
    await m.h.service.notifier.drain()
    const notice = smtp.mails.find((x) => x.envelopeTo.includes('team@example.com'))
    t.ok(notice, 'the aborted build was noticed')
    t.match(
      notice?.parsed.text,
      /Sign-off:\n {2}production sign-off REJECTED: rejected by bob@example\.com \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)/,
    )

    // A second build's sign-off, its links opened after they expired.
    const second = await requestSignoff(t, m, 'release/1', smtp)
    const ada2 = second.mails.find((x) => x.envelopeTo[0] === 'ada@example.com')!.parsed.text!
    const page = await open(m, linkOf(ada2, 'Approve'))
    t.equal(page.status, 200)
    m.h.advance(61 * 60_000)
    const late = await open(m, linkOf(ada2, 'Approve'))
    t.equal(late.status, 410)
    t.match(late.text, /This link has expired/)
    res = await submit(m, linkOf(ada2, 'Approve'), page.form, page.cookie)
    t.equal(res.statusCode, 410, 'the confirm page opened in time, posted too late')
    const s = (await m.h.store.getSignoff(second.answer.signoffId))!
    t.equal(s.state, 'waiting')
    t.same(
      s.parties.map((x) => x.decision),
      [null, null],
    )
    t.equal(inputPosts(m).length, 1, 'Jenkins heard nothing of the second build')

    // A build whose .tamer.yml names nobody for the environment, and a request not signed by Jenkins.
    const mails = smtp.mails.length
    const { build } = await m.push('feature/none', { '.tamer.yml': 'metrics: {}\n' })
    const cur = (await m.h.store.getBuild(build!.id))!
    res = await post(m, cur, { environment: 'production' })
    t.equal(res.statusCode, 422)
    t.match(res.json(), { code: 'TAMER_BAD_SIGNOFF', message: /nobody signs off production/ })
    res = await m.h.app.inject({
      method: 'POST',
      url: '/api/jenkins/signoff',
      headers: { 'content-type': 'application/json', 'x-tamer-signature': sign('{}') },
      payload: JSON.stringify({ delivery_id: cur.parameters.DELIVERY_ID, job: cur.job, environment: 'production' }),
    })
    t.equal(res.statusCode, 401, 'unsigned: 401')
    await m.h.service.notifier.drain()
    t.equal(smtp.mails.length, mails, 'nobody was mailed')
  })
}
