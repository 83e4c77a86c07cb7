// Bad input: not-an-address, thousands of recipients, a 100 MB log, bytes that are not UTF-8,
// HTML in a commit message: the notice stays correct, bounded, escaped.
import t from 'tap'
import { normalizeAddress, recipientList } from '../../src/notify/addresses.js'
import { emailPayload } from '../../src/notify/channels/email.js'
import { slackMessage } from '../../src/notify/channels/slack.js'
import { teamsMessage } from '../../src/notify/channels/teams.js'
import { logExcerpt } from '../../src/notify/mask.js'
import { maskSecrets } from '../../src/security/secrets.js'
import { sampleNotice } from '../../src/notify/sample.js'
import { classifyOutcome } from '../../src/notify/outcome.js'

t.test('addresses: normalized, deduplicated, noreply and non-addresses skipped, bounded', async (t) => {
  t.equal(normalizeAddress(' Ada <Ada@Example.COM> '), 'ada@example.com')
  for (const bad of [
    'not an address',
    'a@b',
    '@example.com',
    'a@@example.com',
    'a b@example.com',
    '<script>@x.com',
    'a@example.com\r\nBcc: x@evil.com',
    '',
  ])
    t.equal(normalizeAddress(bad), null, `refused: ${JSON.stringify(bad)}`)
  const r = recipientList(
    [
      'x@example.com',
      'X@example.com',
      'nonsense',
      '1+ada@users.noreply.github.com',
      'noreply@github.com',
      'no-reply@example.com',
      'y@example.com',
    ],
    10,
  )
  t.same(r, { addresses: ['x@example.com', 'y@example.com'], invalid: 1, noreply: 3, overLimit: 0 })
  const many = Array.from({ length: 5000 }, (_, i) => `dev${i}@example.com`)
  const bounded = recipientList(many, 50)
  t.equal(bounded.addresses.length, 50)
  t.equal(bounded.overLimit, 4950)
  t.equal(bounded.addresses[0], 'dev0@example.com', 'the first ones are kept')
})

t.test('a 100 MB log with non-UTF-8 bytes becomes a short, valid, masked excerpt', async (t) => {
  const line = Buffer.from('build step output line that goes on for a while\n')
  const big = Buffer.alloc(100 * 1024 * 1024)
  for (let o = 0; o + line.length <= big.length; o += line.length) line.copy(big, o)
  const tail = Buffer.concat([
    Buffer.from([0x0a, 0xff, 0xfe, 0xc3, 0x28, 0x0a]),
    Buffer.from('\u001b[31mERROR\u001b[0m: token=supersecretvalue1\nFinished: FAILURE\n'),
  ])
  tail.copy(big, big.length - tail.length)
  const started = Date.now()
  const ex = logExcerpt(big, 40, ['supersecretvalue1'])
  t.ok(Date.now() - started < 2000, 'fast: only the end is read')
  const lines = ex.split('\n')
  t.equal(lines.length, 40)
  t.equal(lines.at(-1), 'Finished: FAILURE')
  t.equal(lines.at(-2), 'ERROR: token=****', 'ANSI colour removed, secret masked')
  t.match(lines.at(-3), /^\uFFFD\uFFFD\uFFFD\($/, 'invalid bytes become U+FFFD')
  t.ok(ex.length < 40 * 501)
  const huge = logExcerpt('x'.repeat(10_000) + '\nend', 5, [])
  t.ok(huge.split('\n')[0]!.length <= 501, 'a long line is cut')
  const str = logExcerpt('a\n'.repeat(60 * 1024 * 1024), 10, [])
  t.equal(str, Array(10).fill('a').join('\n'), 'a 120 MB string too')
})

t.test('secrets: configured values and token shapes', async (t) => {
  const s = maskSecrets(
    'url https://bob:pa55word@git.example.com/x ghp_abcdefghijklmnopqrstuvwxyz0123 Authorization: Bearer abc.def AKIAABCDEFGHIJKLMNOP my-configured-secret',
    ['my-configured-secret'],
  )
  for (const leak of ['pa55word', 'ghp_abc', 'abc.def', 'AKIAABCDEFGHIJKLMNOP', 'my-configured-secret'])
    t.notMatch(s, leak)
  t.match(s, 'https://****@git.example.com/x', 'the URL keeps its shape; only the userinfo is masked')
  t.notMatch(s, 'bob')
  t.match(maskSecrets('-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----', []), /^\*\*\*\*$/)
})

t.test('HTML and markup in a commit message is shown, not interpreted, on every format', async (t) => {
  const n = sampleNotice()
  n.commits = [
    {
      ...n.commits[0]!,
      message: '<img src=x onerror=alert(1)> *bold* <!here> [x](javascript:alert(1))',
      url: 'javascript:alert(1)',
    },
  ]
  const mail = emailPayload(n, {
    from: 'Tamer <t@example.com>',
    notificationId: 'id-1',
    threadKey: 'k',
    recipients: ['a@example.com'],
  })
  t.notMatch(mail.html, '<img')
  t.notMatch(mail.html, 'href="javascript:')
  t.match(mail.text, '<img src=x onerror=alert(1)>', 'the text part shows it as typed')
  const slack = JSON.stringify(slackMessage(n))
  t.notMatch(slack, '<!here>', 'no @here mention from a commit message')
  t.match(slack, '&lt;!here&gt;')
  const teams = JSON.stringify(teamsMessage(n))
  t.notMatch(teams, '[x](javascript')
  t.ok(mail.subject.length < 300 && !/[\r\n]/.test(mail.subject), 'one-line, bounded subject')
})

t.test('outcomes follow email-ext (see src/notify/outcome.ts)', async (t) => {
  t.equal(classifyOutcome('FAILURE', null), 'first-failure')
  t.equal(classifyOutcome('FAILURE', 'SUCCESS'), 'first-failure')
  t.equal(classifyOutcome('FAILURE', 'UNSTABLE'), 'first-failure')
  t.equal(classifyOutcome('FAILURE', 'FAILURE'), 'still-failing')
  t.equal(classifyOutcome('SUCCESS', 'FAILURE'), 'fixed')
  t.equal(classifyOutcome('SUCCESS', 'UNSTABLE'), 'fixed')
  t.equal(classifyOutcome('SUCCESS', 'SUCCESS'), null)
  t.equal(classifyOutcome('SUCCESS', null), null)
  t.equal(classifyOutcome('UNSTABLE', 'SUCCESS'), 'unstable')
  t.equal(classifyOutcome('ABORTED', 'FAILURE'), 'aborted')
  t.equal(classifyOutcome('NOT_BUILT', 'FAILURE'), null)
})
