// A sign-off request in chat (issue #15 item 4): the chat channels of the rules that match the build
// get one "sign-off needed" message each, through the outbox, listing the parties but never their
// approve/reject links (bound to a party; a channel cannot prove who clicks); the parties still get
// their links by mail; a replayed request posts nothing again. Real SMTP and HTTP receivers.
import t from 'tap'
import { gitAvailable } from '../git/repo.js'
import { startHttpPeer, startSmtpPeer } from '../support/notify/peers.js'
import { sign, startMetricsHarness, type MetricsHarness } from '../support/metrics.js'
import type { BuildRecord } from '../../src/store/builds.js'

const LINK_SECRET = 'signoff-link-secret'
const SETTINGS = `signoff:
  production: [Ada@Example.com, bob@example.com]
`

async function post(m: MetricsHarness, b: BuildRecord) {
  const body = JSON.stringify({
    delivery_id: b.parameters.DELIVERY_ID,
    job: b.job,
    build_number: b.buildNumber,
    input_id: 'TamerSignoff',
    environment: 'production',
    // Markup to escape, and a secret a careless pipeline put in its message (masked like a log).
    message: `Deploy <b>now</b>? (${LINK_SECRET})`,
  })
  return m.h.app.inject({
    method: 'POST',
    url: '/api/jenkins/signoff',
    headers: { 'content-type': 'application/json', 'x-tamer-signature': sign(body) },
    payload: body,
  })
}

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test('one sign-off-needed message per chat channel, without the parties links; mails keep them', async (t) => {
    const smtp = await startSmtpPeer()
    t.teardown(() => smtp.close())
    const http = await startHttpPeer()
    t.teardown(() => http.close())
    const m = await startMetricsHarness(t, {
      notifier: true,
      config: {
        links: { secret: LINK_SECRET },
        notifications: {
          smtp: { host: '127.0.0.1', port: smtp.port, from: 'Tamer <ci@tamer.example.com>' },
          channels: ['slack', 'teams', 'mattermost', 'google-chat', 'webhook', 'elsewhere'].map((name) => ({
            name,
            type: name === 'elsewhere' ? 'slack' : name,
            url: `${http.url}/${name}`,
          })),
          // The failure notices' routing: this repository's rule names five channels; another repository's one.
          rules: [
            { repository: 'acme-ds/*', on: ['first-failure'], channels: ['slack', 'teams', 'mattermost'] },
            { repository: 'acme-ds/churn-*', on: ['fixed'], channels: ['google-chat', 'webhook', 'slack'] },
            { repository: 'other/*', channels: ['elsewhere'] },
          ],
        },
      },
    })
    m.h.jenkins.control.setDefaultScenario({
      durationMs: 4000,
      stages: ['Checkout', 'Sign-off', 'Deploy'],
      input: { id: 'TamerSignoff', message: 'Deploy?', ok: 'Deploy', submitter: 'tamer', atMs: 1000 },
    })
    const { build } = await m.push('main', { '.tamer.yml': SETTINGS, 'model.py': 'v1\n' })
    for (let i = 0; i < 5; i++) {
      m.h.advance(1_000)
      await m.h.drain()
    }
    const b = (await m.h.store.getBuild(build!.id))!
    const res = await post(m, b)
    t.equal(res.statusCode, 200, res.body)
    await m.h.service.notifier.drain()

    t.same(
      http.requests.map((r) => r.path).sort(),
      ['/google-chat', '/mattermost', '/slack', '/teams', '/webhook'],
      'one message per matching chat channel; none for the other repository',
    )
    for (const r of http.requests) {
      const text = r.raw.replace(/\\\\/g, '') // Markdown's backslash escapes, JSON-escaped
      t.match(text, /ada@example\.com"?, ?"?bob@example\.com/, `${r.path}: the parties`)
      t.match(text, /production/, `${r.path}: the environment`)
      t.match(text, b.commitSha!, `${r.path}: the commit`)
      t.match(text, `/ui/builds/${b.id}`, `${r.path}: the build's console page`)
      t.notMatch(r.raw, /\/signoff\/|sig=|decision=/, `${r.path}: no approve/reject link`)
      t.notMatch(r.raw, LINK_SECRET, `${r.path}: secrets masked`)
      t.match(text, /Deploy/, `${r.path}: Jenkins' message`)
      // The generic webhook is plain JSON (its receiver escapes); every chat format escapes markup.
      if (r.path !== '/webhook') t.notMatch(r.raw, /<b>now<\/b>/, `${r.path}: Jenkins' message is escaped`)
    }
    const slack = http.requests.find((r) => r.path === '/slack')!.body
    t.match(JSON.stringify(slack.blocks), /Deploy &lt;b&gt;now&lt;\/b&gt;\?/, 'Slack escapes the message')
    t.match(http.requests.find((r) => r.path === '/webhook')!.body, {
      type: 'signoff.requested',
      signoff: { environment: 'production', parties: ['ada@example.com', 'bob@example.com'] },
    })

    t.equal(smtp.mails.length, 2, 'one mail per party')
    for (const mail of smtp.mails) t.match(mail.parsed.text, /Approve: \S+\/signoff\/\S+[\s\S]*Reject: +\S+/)

    const listed = await m.h.store.listNotifications({ buildId: b.id, limit: 50 })
    t.same(
      listed.map((n) => n.outcome),
      Array(7).fill('signoff-request'),
      'all in the outbox, listed as signoff-request',
    )

    // The template retries its request: the same sign-off, no second chat message (nor mail).
    const again = await post(m, b)
    t.match(again.json(), { created: false })
    await m.h.service.notifier.drain()
    t.equal(http.requests.length, 5, 'no second chat message')
    t.equal(smtp.mails.length, 2, 'no second mail')

    // Both parties approve through their mailed links: the channels hear the outcome once, on the last approval.
    for (const [i, mail] of smtp.mails.entries()) {
      const link = new URL(/Approve:\s+(\S+)/.exec(mail.parsed.text!)![1]!)
      const page = await m.h.app.inject({ method: 'GET', url: link.pathname + link.search })
      const form: Record<string, string> = {}
      for (const x of page.body.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g))
        form[x[1]!] = x[2]!
          .replace(/&amp;/g, '&')
          .replace(/&#39;/g, "'")
          .replace(/&quot;/g, '"')
      const cookie = String(page.headers['set-cookie']).split(';')[0]!
      const done = await m.h.app.inject({
        method: 'POST',
        url: link.pathname,
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        payload: new URLSearchParams(form).toString(),
      })
      t.equal(done.statusCode, 200, done.body.slice(0, 300))
      await m.h.service.notifier.drain()
      t.equal(http.requests.length, i === 0 ? 5 : 10, i === 0 ? 'one approval: nothing yet' : 'approved: one each')
    }
    for (const r of http.requests.slice(5)) {
      t.match(r.raw.replace(/\\/g, ''), /Sign-off approved/, `${r.path}: the outcome`)
      t.notMatch(r.raw, /\/signoff\/|sig=|decision=/, `${r.path}: no link`)
    }
    t.match(http.requests.find((r) => r.path === '/webhook' && r.body.type === 'signoff.approved')?.body, {
      signoff: { state: 'approved' },
    })
    t.equal(smtp.mails.length, 2, 'chat only: no outcome mail')
  })
}
