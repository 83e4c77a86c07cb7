// A host's event or action named like an Object.prototype member (`constructor`, `__proto__`,
// `toString`) is an event Tamer does not act on: it is stored as ignored, never as a pull
// request whose action is a function or an object (found by test/providers/properties.test.ts).
import t from 'tap'
import { startTestApp } from '../support/app.js'
import {
  bitbucketCloudPullRequest,
  bitbucketServerPullRequest,
  githubPullRequest,
  gitlabMergeRequest,
} from '../support/payloads.js'
import {
  signedBitbucketCloud,
  signedBitbucketServer,
  signedGitHub,
  signedGitLab,
  type SignedDelivery,
} from '../support/sign.js'

const gitlabWith = (action: string) => {
  const p = gitlabMergeRequest('open') as { object_attributes: Record<string, unknown> }
  p.object_attributes.action = action
  return p
}

const cases: [string, string, SignedDelivery][] = [
  [
    'GitHub pull_request action "constructor"',
    'github',
    signedGitHub('pull_request', githubPullRequest('constructor')),
  ],
  ['GitLab merge request action "toString"', 'gitlab', signedGitLab('Merge Request Hook', gitlabWith('toString'))],
  [
    'Bitbucket Cloud X-Event-Key "constructor"',
    'bitbucket',
    signedBitbucketCloud('constructor', bitbucketCloudPullRequest()),
  ],
  [
    'Bitbucket Server X-Event-Key "__proto__"',
    'bitbucket',
    signedBitbucketServer('__proto__', bitbucketServerPullRequest('pr:opened')),
  ],
]

t.test('an event or action named like a prototype member is ignored, not made into a pull request', async (t) => {
  const h = await startTestApp(t)
  for (const [name, route, d] of cases) {
    const res = await h.app.inject({ method: 'POST', url: `/hooks/${route}`, headers: d.headers, payload: d.body })
    t.equal(res.statusCode, 202, `${name}: accepted`)
    const stored = await h.store.getDelivery(res.json().id)
    t.equal(stored?.status, 'ignored', `${name}: stored as ignored`)
    t.equal(stored?.normalized.kind, 'ignored', `${name}: no events`)
  }
})
