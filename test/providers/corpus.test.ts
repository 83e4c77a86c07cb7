// Every real delivery in ../shared/corpus/webhooks, signed here with the test secret, through the
// real route into the real store; the normalized event is checked against the payload itself.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import type { PullRequestEvent, PushEvent } from '../../src/events/model.js'
import { field, text } from '../../src/providers/json.js'
import { startTestApp } from '../support/app.js'
import { signedBitbucketCloud, signedBitbucketServer, signedGitHub, signedGitLab, type SignedDelivery } from '../support/sign.js'

// TAMER_TEST_WEBHOOK_CORPUS points elsewhere to try this test on another copy.
const CORPUS = process.env.TAMER_TEST_WEBHOOK_CORPUS ?? fileURLToPath(new URL('../../../shared/corpus/webhooks/', import.meta.url))

type Host = 'github' | 'gitlab' | 'bitbucket-cloud' | 'bitbucket-server'
const HOSTS: Host[] = ['github', 'gitlab', 'bitbucket-cloud', 'bitbucket-server']

function readHeaders(file: string): Record<string, string> {
  const path = file.replace(/\.json$/, '.headers.json')
  if (!existsSync(path)) return {}
  const raw = JSON.parse(readFileSync(path, 'utf8')) as unknown
  const out: Record<string, string> = {}
  const source = (field(raw, 'headers') ?? raw) as Record<string, unknown>
  if (source && typeof source === 'object')
    for (const [k, v] of Object.entries(source)) if (typeof v === 'string') out[k.toLowerCase()] = v
  return out
}

/** The event name, from the captured headers or else from the payload's own shape. */
function eventOf(host: Host, name: string, body: unknown, headers: Record<string, string>): string | null {
  if (host === 'github') {
    if (headers['x-github-event']) return headers['x-github-event']
    if (field(body, 'zen') !== undefined) return 'ping'
    if (field(body, 'pull_request') !== undefined) return 'pull_request'
    if (field(body, 'pusher') !== undefined && field(body, 'ref') !== undefined) return 'push'
    if (field(body, 'ref_type') !== undefined) return /delete/.test(name) ? 'delete' : 'create'
    return null
  }
  if (host === 'gitlab') {
    if (headers['x-gitlab-event']) return headers['x-gitlab-event']
    const kind = text(body, 'object_kind')
    if (!kind && text(body, 'event_name')) return 'System Hook'
    return ({ push: 'Push Hook', tag_push: 'Tag Push Hook', merge_request: 'Merge Request Hook' } as Record<string, string>)[kind ?? ''] ?? null
  }
  if (headers['x-event-key']) return headers['x-event-key']
  if (host === 'bitbucket-server') {
    if (text(body, 'eventKey')) return text(body, 'eventKey')
    if (field(body, 'test') === true || /ping/.test(name)) return 'diagnostics:ping'
    return null
  }
  if (field(body, 'push') !== undefined) return 'repo:push'
  if (field(body, 'pullrequest') !== undefined) {
    const action = ['fulfilled', 'rejected', 'updated', 'created'].find((a) => name.includes(a))
    return action ? `pullrequest:${action}` : null
  }
  return null
}

function sign(host: Host, event: string, raw: Buffer): { route: string; d: SignedDelivery } {
  const payload = raw.toString('utf8')
  if (host === 'github') return { route: 'github', d: signedGitHub(event, payload) }
  if (host === 'gitlab') return { route: 'gitlab', d: signedGitLab(event, payload) }
  if (host === 'bitbucket-cloud') return { route: 'bitbucket', d: signedBitbucketCloud(event, payload) }
  return { route: 'bitbucket', d: signedBitbucketServer(event, payload) }
}

/** What the payload itself says a push's refs are, host by host (the test's own reading). */
function expectedRefs(host: Host, body: unknown): { after: string; ref: string }[] {
  if (host === 'github' || host === 'gitlab') return [{ after: text(body, 'after')!, ref: text(body, 'ref')! }]
  if (host === 'bitbucket-server' && Array.isArray(field(body, 'changes')))
    return (field(body, 'changes') as unknown[]).map((c) => ({ after: text(c, 'toHash')!, ref: text(c, 'refId')! }))
  return ((field(body, 'push', 'changes') as unknown[]) ?? []).map((c) => {
    const r = field(c, 'new') ?? field(c, 'old')
    return {
      after: text(c, 'new', 'target', 'hash') ?? '0'.repeat(40),
      ref: `${text(r, 'type') === 'tag' ? 'refs/tags/' : 'refs/heads/'}${text(r, 'name')}`,
    }
  })
}

const present = HOSTS.filter((h) => existsSync(join(CORPUS, h)))
if (present.length === 0) {
  t.test('every corpus delivery through the real route', { skip: `the webhook corpus is not on this machine (${CORPUS})` }, async () => {})
} else {
  t.test('every corpus delivery through the real route', async (t) => {
    const h = await startTestApp(t)
    let checked = 0
    for (const host of present) {
      const dir = join(CORPUS, host)
      for (const name of readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.headers.json')).sort()) {
        const raw = readFileSync(join(dir, name))
        let body: unknown
        try {
          body = JSON.parse(raw.toString('utf8'))
        } catch {
          continue // not a delivery body (e.g. a vectors file)
        }
        const event = eventOf(host, name, body, readHeaders(join(dir, name)))
        if (!event) {
          t.comment(`${host}/${name}: event not recognisable, not checked`)
          continue
        }
        const { route, d } = sign(host, event, raw)
        const res = await h.app.inject({ method: 'POST', url: `/hooks/${route}`, headers: d.headers, payload: d.body })
        t.ok([200, 202].includes(res.statusCode), `${host}/${name} (${event}): ${res.statusCode} ${res.statusCode >= 400 ? res.body : ''}`)
        if (res.statusCode >= 400) continue
        const row = await h.store.getDelivery(res.json().id)
        t.ok(row, `${host}/${name} stored`)
        checked++
        if (row?.normalized.kind !== 'events') continue
        const events = row.normalized.events
        const pushes = events.filter((e): e is PushEvent => e.kind === 'push')
        if (pushes.length > 0) {
          const want = expectedRefs(host, body)
          t.same(pushes.map((p) => ({ after: p.after, ref: p.ref })), want, `${host}/${name}: refs and after`)
          for (const p of pushes) {
            t.ok(p.repository.fullName.includes('/'), `${host}/${name}: repository full name`)
            t.equal(p.filesKnown && (host === 'bitbucket-cloud' || host === 'bitbucket-server'), false, `${host}/${name}: Bitbucket never knows files`)
          }
        }
        for (const pr of events.filter((e): e is PullRequestEvent => e.kind === 'pull_request')) {
          t.ok(pr.number > 0 && pr.source.branch && pr.target.branch, `${host}/${name}: PR number and branches`)
        }
      }
    }
    t.ok(checked > 0, `checked ${checked} corpus deliveries`)
  })
}
