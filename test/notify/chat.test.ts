// Every chat platform against a real local HTTP server, checked against its documented
// format; 429 with Retry-After; the webhook's HMAC signature.
import { createHmac } from 'node:crypto'
import t from 'tap'
import { startNotifyHarness } from '../support/notify/harness.js'

const CHANNEL_SECRET = 'webhook-hmac-key-0001'

t.test('each platform receives its native format', async (t) => {
  const n = await startNotifyHarness(t, ({ http }) => ({
    channels: ['slack', 'teams', 'mattermost', 'google-chat', 'webhook'].map((type) => ({
      name: `ch-${type}`,
      type,
      url: `${http.url}/${type}`,
      ...(type === 'webhook' ? { secret: CHANNEL_SECRET } : {}),
    })),
    rules: [{ culprits: false, channels: ['ch-slack', 'ch-teams', 'ch-mattermost', 'ch-google-chat', 'ch-webhook'] }],
  }))
  await n.build('FAILURE', { commits: [] }, ['msg <b>bold</b> & more'])
  const by = (p: string) => n.http.requests.find((r) => r.path === `/${p}`)!
  t.equal(n.http.requests.length, 5, 'one request per channel')

  const slack = by('slack').body
  t.match(slack.text, /failed/)
  t.same(slack.blocks.map((b: any) => b.type).slice(0, 2), ['header', 'section'])
  t.equal(slack.blocks[0].text.type, 'plain_text')
  t.ok(slack.blocks[0].text.text.length <= 150, 'header within 150 characters')
  t.ok(
    slack.blocks.every((b: any) => !b.text || b.text.text.length <= 3000),
    'sections within 3,000 characters',
  )
  t.ok(slack.blocks.length <= 50)
  t.match(slack.blocks.find((b: any) => b.type === 'actions').elements[0], { type: 'button', url: /^http/ })
  t.match(by('slack').raw, 'msg &lt;b&gt;bold&lt;/b&gt; &amp; more', 'Slack control characters escaped')

  const teams = by('teams').body
  t.equal(teams.type, 'message')
  t.equal(teams.attachments[0].contentType, 'application/vnd.microsoft.card.adaptive')
  t.match(teams.attachments[0].content, {
    type: 'AdaptiveCard',
    version: '1.4',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
  })
  t.match(teams.attachments[0].content.body[1], { type: 'FactSet' })
  t.match(teams.attachments[0].content.actions[0], { type: 'Action.OpenUrl', title: 'Open build' })

  const mm = by('mattermost').body
  t.match(mm.text, /^#### /)
  t.match(mm.attachments[0], { color: /^#[0-9a-f]{6}$/, fallback: /failed/ })
  t.ok(mm.attachments[0].fields.every((f: any) => typeof f.title === 'string' && typeof f.short === 'boolean'))

  const gc = by('google-chat').body
  t.match(gc.text, /^\*.*failed.*\*$/)
  t.match(gc.cardsV2[0], { cardId: /^tamer-/, card: { header: { title: /failed/ } } })
  t.ok(Array.isArray(gc.cardsV2[0].card.sections[0].widgets))
  t.notMatch(by('google-chat').raw, '<b>bold</b>', 'card text is HTML-escaped')

  const wh = by('webhook')
  const expected = `sha256=${createHmac('sha256', CHANNEL_SECRET).update(wh.raw).digest('hex')}`
  t.equal(wh.headers['x-tamer-signature'], expected, 'HMAC over the raw body')
  t.match(wh.body, {
    type: 'build.first-failure',
    notice: { result: 'FAILURE', repository: 'acme-ds/churn-model', branch: 'main' },
  })
  t.equal(wh.headers['x-tamer-notification'], wh.body.id)
  for (const r of n.http.requests) t.notMatch(r.raw, CHANNEL_SECRET, 'no channel secret in any payload')
})

t.test('429 with Retry-After: waits exactly that long, then sends once', async (t) => {
  const n = await startNotifyHarness(t, ({ http }) => ({
    channels: [{ name: 'team', type: 'slack', url: `${http.url}/hook` }],
    rules: [{ culprits: false, channels: ['team'] }],
  }))
  n.http.answerNext({ status: 429, headers: { 'retry-after': '120' }, body: 'rate_limited' })
  await n.build('FAILURE')
  const [x] = await n.store.listNotifications({ limit: 5 })
  t.match(x, { state: 'pending', attempts: 1, lastError: 'HTTP 429: rate_limited' })
  t.equal(x!.nextAttemptAt! - n.h.clock.now(), 120_000, 'Retry-After honoured')
  n.h.advance(119_000)
  await n.notifier.drain()
  t.equal(n.http.requests.length, 1, 'nothing before Retry-After')
  n.h.advance(1_000)
  await n.notifier.drain()
  t.equal(n.http.requests.length, 2)
  t.match(await n.store.getNotification(x!.id), { state: 'sent', acceptedBy: 'HTTP 200' })
  n.h.advance(3_600_000)
  await n.notifier.drain()
  t.equal(n.http.requests.length, 2, 'sent once')
})

t.test('a 404 webhook URL is permanent; 500 is retried', async (t) => {
  const n = await startNotifyHarness(t, ({ http }) => ({
    channels: [{ name: 'team', type: 'mattermost', url: `${http.url}/hook` }],
    rules: [{ culprits: false, channels: ['team'] }],
    retryBaseMs: 1000,
  }))
  n.http.answerNext({ status: 500 }, { status: 404, body: 'no such hook' })
  await n.build('FAILURE')
  t.match((await n.store.listNotifications({ limit: 5 }))[0], { state: 'pending', lastError: 'HTTP 500' })
  n.h.advance(1000)
  await n.notifier.drain()
  t.match((await n.store.listNotifications({ limit: 5 }))[0], {
    state: 'dead',
    attempts: 2,
    lastError: 'HTTP 404: no such hook',
  })
})
