// Email through a real SMTP server, read back with mailparser: recipients (culprits, fixed,
// no noreply), subject, both bodies, threading, no secret; first failure → still failing
// (throttled) → fixed; SMTP refusing then accepting.
import t from 'tap'
import { SHA_B } from '../support/payloads.js'
import { LOG_SECRET, SECRETS, startNotifyHarness } from '../support/notify/harness.js'

const commit = (id: string, message: string, email: string, name = 'Grace Hopper') => ({
  id,
  message,
  timestamp: '2026-11-20T10:15:40+01:00',
  url: `https://github.com/acme-ds/churn-model/commit/${id}`,
  author: { name, email, username: null },
  added: [],
  removed: [],
  modified: ['notebooks/train.ipynb'],
})

const rules = {
  rules: [
    {
      repository: 'acme-ds/*',
      to: ['Team Lead <Lead@Example.com>', 'lead@example.com'],
      stillFailing: { everyHours: 24, everyBuilds: 2 },
    },
  ],
}

t.test('a failure mails the culprits and fixed recipients, threads per branch, escapes and masks', async (t) => {
  const n = await startNotifyHarness(t, () => rules)
  await n.build('SUCCESS')
  t.equal(n.smtp.mails.length, 0, 'green after nothing: no mail')

  const evil = '<script>alert(1)</script> & "quotes"'
  const c1 = 'c'.repeat(40)
  await n.build(
    'FAILURE',
    {
      before: SHA_B,
      after: c1,
      commits: [
        commit(c1, `${evil}\n\nbody line`, 'Grace@Example.com'),
        commit('d'.repeat(40), 'private one', '12345+bot@users.noreply.github.com', 'Bot'),
      ],
    },
    [
      `echo password=${LOG_SECRET}`,
      'token ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      `api ${SECRETS.api}`,
      '  auc                            0.78         min=0.8 max=None FAIL',
      'FAILED tests/test_model.py::test_auc - assert 0.78 >= 0.8',
    ],
  )
  t.equal(n.smtp.mails.length, 1, 'one mail')
  const m = n.smtp.mails[0]!
  t.same(
    [...m.envelopeTo].sort(),
    ['grace@example.com', 'lead@example.com'],
    'culprit + fixed recipient, normalized, deduped, noreply skipped',
  )
  t.match(m.parsed.subject, /^\[Tamer\] acme-ds\/churn-model main failed: ds\/churn-model\/main #2 \(Unit tests\)$/)
  t.match(m.parsed.from?.text, 'ci@tamer.example.com')
  const text = m.parsed.text ?? ''
  const html = typeof m.parsed.html === 'string' ? m.parsed.html : ''
  t.match(text, /Result:\s+FAILURE/)
  t.match(text, /Failing stage:\s+Unit tests/)
  t.match(text, /Tests:\s+12 run, 2 failed, 1 skipped/)
  t.match(text, `${c1.slice(0, 7)} ${evil} (Grace Hopper)`, 'commit message as typed in the text part')
  t.match(text, /FAIL auc = 0\.78 \(min 0\.8, max -\)/, 'metric gate values')
  t.match(text, 'tests/test_model.py::test_auc', 'failed test name')
  t.match(text, /Diff: https:\/\/tamer\.example\.com\/diffs\/[\w-]+\?exp=\d+&sig=[\w-]+/, 'a signed diff link')
  t.match(text, /Finished: FAILURE/, 'console tail')
  t.notMatch(html, '<script>', 'HTML in a commit message is escaped')
  t.match(html, '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;')
  for (const secret of [LOG_SECRET, 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', SECRETS.api, n.config.jenkins.token])
    t.notOk(m.raw.includes(secret), `no secret in the mail: ${secret.slice(0, 6)}…`)
  t.match(text, 'password=****')
  const root = m.parsed.inReplyTo
  t.match(m.parsed.messageId, /^<[0-9a-f-]{36}@tamer\.example\.com>$/, 'stable Message-ID from the outbox id')
  t.match(root, /^<thread-[0-9a-f]{32}@tamer\.example\.com>$/)
  t.same(m.parsed.references, root)

  // still failing: the next failure is throttled (every 2 builds), the one after is mailed
  await n.build('FAILURE', {
    before: c1,
    after: 'e'.repeat(40),
    commits: [commit('e'.repeat(40), 'try again', 'ada@example.com', 'Ada')],
  })
  t.equal(n.smtp.mails.length, 1, 'still failing, throttled')
  await n.build('FAILURE', {
    before: 'e'.repeat(40),
    after: 'f'.repeat(40),
    commits: [commit('f'.repeat(40), 'and again', 'ada@example.com', 'Ada')],
  })
  t.equal(n.smtp.mails.length, 2, 'still failing, second build since the notice: mailed')
  t.match(n.smtp.mails[1]!.parsed.subject, /is still failing/)

  await n.build('SUCCESS', {
    before: 'f'.repeat(40),
    after: '1'.repeat(40),
    commits: [commit('1'.repeat(40), 'fix it', 'ada@example.com', 'Ada')],
  })
  t.equal(n.smtp.mails.length, 3)
  const fixed = n.smtp.mails[2]!
  t.match(fixed.parsed.subject, /main is fixed/)
  t.equal(fixed.parsed.inReplyTo, root, 'same thread as the failure')
  t.not(fixed.parsed.messageId, m.parsed.messageId)
  t.same(
    [...fixed.envelopeTo].sort(),
    ['ada@example.com', 'grace@example.com', 'lead@example.com'],
    'everyone who broke it hears it is fixed',
  )
  const sent = await n.store.listNotifications({ limit: 10 })
  t.ok(
    sent.every((x) => x.state === 'sent' && x.attempts === 1 && /^250/.test(x.acceptedBy ?? '')),
    'the SMTP acceptance is on record',
  )
})

t.test('SMTP refuses (451), then accepts: retried with backoff, sent once', async (t) => {
  const n = await startNotifyHarness(t, () => ({ ...rules, retryBaseMs: 60_000 }))
  n.smtp.refuseNext(1)
  await n.build('FAILURE')
  t.equal(n.smtp.mails.length, 0)
  const [pending] = await n.store.listNotifications({ limit: 10 })
  t.match(pending, { state: 'pending', attempts: 1, lastError: /^SMTP 451/ })
  t.equal(pending!.nextAttemptAt! - n.h.clock.now(), 60_000, 'first retry after the base delay')
  await n.notifier.drain()
  t.equal(n.smtp.mails.length, 0, 'not before it is due')
  n.h.advance(60_000)
  await n.notifier.drain()
  await n.notifier.drain()
  t.equal(n.smtp.mails.length, 1, 'sent once')
  t.match(await n.store.getNotification(pending!.id), { state: 'sent', attempts: 2, lastError: null })
})

t.test('SMTP 550 is permanent: a dead letter at once, visible and re-sendable', async (t) => {
  const n = await startNotifyHarness(t, () => rules)
  n.smtp.refuseNext(1, 550)
  await n.build('FAILURE')
  const [dead] = await n.store.listNotifications({ limit: 10 })
  t.match(dead, { state: 'dead', attempts: 1, lastError: /^SMTP 550/ })
  t.ok(await n.notifier.resend(dead!.id))
  await n.notifier.drain()
  t.equal(n.smtp.mails.length, 1)
  t.equal(await n.notifier.resend(dead!.id), null, 'a sent notice is not re-sent')
})
