// Issue #11, item 9: `tamer notify test` sends through the real channel a sample that nobody can
// take for a real failure: `[TEST]` in the subject or title and a first line saying it is a test,
// on every channel; the rest is the real format (a failed build with every section filled).
import t from 'tap'
import { notifyTest } from '../../src/notify/command.js'
import { TEST_NOTICE_NOTE } from '../../src/notify/model.js'
import { testConfig } from '../support/app.js'
import { startHttpPeer, startSmtpPeer } from '../support/notify/peers.js'

const CHAT = ['slack', 'teams', 'mattermost', 'google-chat', 'webhook'] as const

t.test('the sample says it is a test in subject and body, on every channel', async (t) => {
  const smtp = await startSmtpPeer()
  const http = await startHttpPeer()
  t.teardown(async () => {
    await smtp.close()
    await http.close()
  })
  const config = testConfig({
    notifications: {
      smtp: { host: '127.0.0.1', port: smtp.port, from: 'Tamer CI <ci@tamer.example.com>', timeoutMs: 5000 },
      channels: CHAT.map((type) => ({ name: `ch-${type}`, type, url: `${http.url}/${type}` })),
    },
  })
  const run = async (channel: string, to: string[] = []) => {
    let out = ''
    let err = ''
    const code = await notifyTest(
      config,
      { channel, to },
      (s) => void (out += s),
      (s) => void (err += s),
    )
    t.equal(code, 0, `${channel}: sent (${err})`)
    return out
  }

  t.match(await run('email', ['ops@example.com']), /^sent "\[Tamer\] \[TEST\] acme\/sample-model main failed: /)
  const mail = smtp.mails[0]!
  t.match(mail.parsed.subject, /^\[Tamer\] \[TEST\] /, 'the subject says TEST')
  const text = mail.parsed.text ?? ''
  t.match(text.split('\n').slice(0, 3).join('\n'), TEST_NOTICE_NOTE, 'the text part says so at the top')
  t.match(text, /Failing stage:\s+Unit tests/, 'otherwise the real format')
  t.match(
    typeof mail.parsed.html === 'string' ? mail.parsed.html : '',
    /This is a test from tamer notify test[^<]*nothing failed/,
    'the HTML part too',
  )

  for (const type of CHAT) {
    t.match(await run(`ch-${type}`), /^sent "\[TEST\] acme\/sample-model main failed: /, `${type}: the title says TEST`)
    const req = http.requests.find((r) => r.path === `/${type}`)!
    // Each platform escapes text in its own dialect (Teams and Mattermost: `\[TEST\]`); the words are there.
    const body = req.raw.replace(/\\+([.\-![\]])/g, '$1')
    t.match(body, '[TEST] acme/sample-model', `${type}: the title in the payload`)
    t.match(body, /This is a test from tamer notify test, to check this channel/, `${type}: the note in the payload`)
  }
  const webhook = http.requests.find((r) => r.path === '/webhook')!.body
  t.match(
    webhook,
    { test: true, type: 'build.first-failure', notice: { test: true } },
    'the generic webhook carries test: true for receivers',
  )
})
