// Issue #13: "Tamer killed between deciding and posting → exactly one post after restart", with a real kill.
// `tamer serve` runs as a child process (as an operator starts it) posting to the GitHub stand-in, and is
// SIGKILLed at the moment the stand-in holds one of its posts — the outbox entry is stored and `sending`:
//  1. a commit status the host never applied (the kill comes before GitHub acts on it);
//  2. the PR comment the host created, its answer lost with the process (GitHub acted, Tamer never knew).
// Restarted on the same data each time, Tamer posts each again, once: the stand-in counts one status for that
// decision and one comment, updated in place (found by its marker), not a second one.
// Jenkins is down throughout, so the decisions stay the same while Tamer is killed and restarted.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SECRETS } from '../support/app.js'
import { TamerProcess } from '../support/burst.js'
import { freePort } from '../support/free-port.js'
import { GitHubStandIn, type GitHubRequest } from '../support/hosts/github.js'
import { githubPullRequest, githubPush, SHA_B, SHA_C } from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'
import { COMMENT_MARKER } from '../../src/reporting/comment.js'

t.setTimeout(240_000) // three start-ups of a child process: seconds each, far more on a loaded machine

const TOKEN = 'ghp_killStandInToken0123456789abcdefghijk'
const REPO = 'acme-ds/churn-model'
const CONTEXT = 'tamer/train'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}

t.test('SIGKILL while a post is at the host: exactly one status and one comment after the restart', async (t) => {
  const stand = await new GitHubStandIn({ repositories: [REPO], tokens: [TOKEN] }).start()
  const dir = mkdtempSync(join(tmpdir(), 'tamer-kill-post-'))
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const file = join(dir, 'tamer.yaml')
  const config = {
    server: { host: '127.0.0.1', port, logLevel: 'info', drainDelayMs: 0 }, // teardown's SIGTERM: no 5 s drain
    dataDir: join(dir, 'data'),
    providers: { github: { secrets: [SECRETS.github] } },
    api: { tokens: [SECRETS.api] },
    // Nothing listens there: every build waits for Jenkins, its status stays the one decision
    jenkins: { url: 'http://127.0.0.1:9', user: 'tamer', token: 'jenkins-token-0123', requestTimeoutMs: 200 },
    rules: [
      {
        name: 'train',
        repository: 'acme-ds/*',
        events: ['push', 'pull_request'],
        template: 'tests-only',
        job: 'ds/{repo}',
      },
    ],
    reporting: { hosts: [{ provider: 'github', apiUrl: stand.url, token: TOKEN }], retryBaseMs: 100 },
    diffs: { precompute: false },
  }
  writeFileSync(file, JSON.stringify(config, null, 2)) // JSON is YAML
  const tamer = new TamerProcess(file, base)
  t.teardown(async () => {
    await tamer.stop()
    await stand.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const send = async (event: string, payload: unknown) => {
    const d = signedGitHub(event, payload)
    const res = await fetch(`${base}/hooks/github`, { method: 'POST', headers: d.headers, body: d.body })
    t.equal(res.status, 202, `${event} accepted`)
  }
  /** SIGKILL the moment the stand-in holds the first request `match` accepts. */
  const killOn = (match: (r: GitHubRequest) => boolean, answer: 'hang' | 'apply-then-hang') => {
    stand.script(answer, match)
    return new Promise<GitHubRequest>((resolve) =>
      stand.onRequest((r) => {
        if (!match(r)) return
        tamer.killNow()
        stand.onRequest(null)
        resolve(r)
      }),
    )
  }
  const isStatus = (r: GitHubRequest) => r.method === 'POST' && r.path.endsWith(`/statuses/${SHA_B}`)
  const isComment = (r: GitHubRequest) => r.method === 'POST' && /\/issues\/42\/comments$/.test(r.path)

  await tamer.start()
  // 1. The push's first status reaches GitHub; Tamer dies before GitHub acts on it.
  const statusHeld = killOn(isStatus, 'hang')
  await send('push', githubPush())
  const held = await statusHeld
  await tamer.exited
  t.equal(stand.statusesOf(REPO, SHA_B, CONTEXT).length, 0, 'GitHub has no status yet')

  // 2. Restarted: the status is posted again. Then a PR's comment is created at GitHub and Tamer dies before
  // the answer is back.
  const commentHeld = killOn(isComment, 'apply-then-hang')
  await tamer.start()
  await send('pull_request', githubPullRequest('opened'))
  await commentHeld
  await tamer.exited
  t.equal(stand.comments.length, 1, 'GitHub created the comment; Tamer never heard')

  // 3. Restarted: everything interrupted is posted again, once.
  await tamer.start()
  const auth = { authorization: `Bearer ${SECRETS.api}` }
  const posts = async () => {
    const list = (await (await fetch(`${base}/api/builds?limit=10`, { headers: auth })).json()) as {
      items: { id: string }[]
    }
    const all = []
    for (const b of list.items) {
      const one = (await (await fetch(`${base}/api/builds/${b.id}`, { headers: auth })).json()) as {
        posts: { kind: string; state: string; attempts: number }[]
      }
      all.push(...one.posts)
    }
    return all
  }
  await until('every post sent', async () => {
    const p = await posts()
    return p.length >= 3 && p.every((x) => x.state === 'sent' || x.state === 'superseded')
  })

  const statuses = stand.statusesOf(REPO, SHA_B, CONTEXT)
  t.equal(statuses.length, 1, 'one status at GitHub for the decision that was cut off')
  t.equal(statuses[0]!.state, 'pending')
  t.equal(statuses[0]!.description, (held.body as { description: string }).description, 'the same decision')
  t.equal(stand.statusesOf(REPO, SHA_C, CONTEXT).length, 1, "the PR head's status, once")
  t.equal(stand.comments.length, 1, 'one comment: found again by its marker, not created twice')
  t.ok(stand.comments[0]!.body.startsWith(COMMENT_MARKER))
  t.ok(stand.comments[0]!.edits >= 1, 'updated in place after the restart')
  t.same(stand.violations, [])
  t.ok(
    (await posts()).every((p) => p.state === 'sent' || p.state === 'superseded'),
    'nothing left pending or dead',
  )
  t.equal(tamer.starts, 3)
})
