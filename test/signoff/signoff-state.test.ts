// The sign-off state as notices and the living PR comment show it (issue #15, item 5): who approved
// and when, who rejected, who is still waited on; in the comment, escaped like everything else there.
import t from 'tap'
import { signoffLine } from '../../src/notify/signoff-state.js'
import { commentBody } from '../../src/reporting/comment.js'
import type { SignoffRecord } from '../../src/store/signoffs.js'

const base: SignoffRecord = {
  id: 's1',
  buildId: 'b1',
  tenant: 'default',
  repository: 'acme-ds/churn-model',
  environment: 'production',
  inputId: 'TamerSignoff',
  message: 'Deploy?',
  expiresAt: 0,
  state: 'waiting',
  parties: [
    { party: 'ada@example.com', decision: 'approved', decidedAt: '2026-12-06T22:50:31.000Z' },
    { party: 'bob@example.com', decision: null, decidedAt: null },
  ],
  createdAt: '2026-12-06T22:40:00.000Z',
  decidedAt: null,
  jenkinsAction: null,
  jenkinsActedAt: null,
  jenkinsError: null,
}

t.test('waiting, approved, rejected', async (t) => {
  t.equal(
    signoffLine(base),
    'production sign-off: approved by ada@example.com (2026-12-06 22:50 UTC); waiting on bob@example.com',
  )
  const rejected: SignoffRecord = {
    ...base,
    state: 'rejected',
    parties: [
      base.parties[0]!,
      { party: 'bob@example.com', decision: 'rejected', decidedAt: '2026-12-06T23:01:00.000Z' },
    ],
  }
  t.equal(
    signoffLine(rejected),
    'production sign-off REJECTED: rejected by bob@example.com (2026-12-06 23:01 UTC); approved by ada@example.com (2026-12-06 22:50 UTC)',
  )
})

t.test('the PR comment lists the sign-off state, escaped', async (t) => {
  const body = commentBody({
    pr: { number: 7, title: 'x', source: 'feature', target: 'main' },
    sha: null,
    builds: [],
    diff: null,
    diffLink: null,
    limit: 65_000,
    now: 0,
    timeoutMs: 1,
    signoffs: [signoffLine(base)],
  })
  t.match(body, /\*\*Sign-off\*\*\n\n- production sign\\-off: approved by ada@\u200dexample\\\.com/)
  t.notMatch(
    commentBody({
      ...{ pr: { number: 7, title: null, source: null, target: null } },
      sha: null,
      builds: [],
      diff: null,
      diffLink: null,
      limit: 65_000,
      now: 0,
      timeoutMs: 1,
    }),
    /Sign-off/,
  )
})
