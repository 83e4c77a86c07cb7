// Every real delivery in ../shared/corpus/webhooks, signed here with the test secret, through the
// real route into the real store; the normalized event is checked against the payload itself.
import t from 'tap'
import type { PullRequestEvent, PushEvent } from '../../src/events/model.js'
import { field, text } from '../../src/providers/json.js'
import { startTestApp } from '../support/app.js'
import { CORPUS, corpusDeliveries, signCorpus, type Host } from '../support/webhook-corpus.js'

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

/** The push's revisions as the payload spells them (a fixture's made-up hash is not a commit id). */
function pushRevisions(host: Host, body: unknown): (string | null)[] {
  if (host === 'github' || host === 'gitlab') return [text(body, 'before'), text(body, 'after')]
  if (host === 'bitbucket-server')
    return ((field(body, 'changes') as unknown[]) ?? []).flatMap((c) => [text(c, 'fromHash'), text(c, 'toHash')])
  return ((field(body, 'push', 'changes') as unknown[]) ?? []).flatMap((c) => [
    text(c, 'old', 'target', 'hash'),
    text(c, 'new', 'target', 'hash'),
  ])
}

const deliveries = corpusDeliveries((s) => t.comment(s))
if (deliveries.length === 0) {
  t.test(
    'every corpus delivery through the real route',
    { skip: `the webhook corpus is not on this machine (${CORPUS})` },
    async () => {},
  )
} else {
  t.test('every corpus delivery through the real route', async (t) => {
    const h = await startTestApp(t)
    let checked = 0
    for (const { host, name, event, raw, body } of deliveries) {
      const { route, d } = signCorpus(host, event, raw)
      const res = await h.app.inject({ method: 'POST', url: `/hooks/${route}`, headers: d.headers, payload: d.body })
      if (pushRevisions(host, body).some((r) => r !== null && !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(r))) {
        // Only full commit ids reach git and Jenkins: such a push is refused, naming the field.
        t.match(
          res.json(),
          { statusCode: 400, code: 'TAMER_BAD_PAYLOAD', message: /is not a full commit id/ },
          `${host}/${name} (${event}): a revision that is not a commit id is refused`,
        )
        continue
      }
      t.ok(
        [200, 202].includes(res.statusCode),
        `${host}/${name} (${event}): ${res.statusCode} ${res.statusCode >= 400 ? res.body : ''}`,
      )
      if (res.statusCode >= 400) continue
      const row = await h.store.getDelivery(res.json().id)
      t.ok(row, `${host}/${name} stored`)
      checked++
      if (row?.normalized.kind !== 'events') continue
      const events = row.normalized.events
      const pushes = events.filter((e): e is PushEvent => e.kind === 'push')
      if (pushes.length > 0) {
        const want = expectedRefs(host, body)
        t.same(
          pushes.map((p) => ({ after: p.after, ref: p.ref })),
          want,
          `${host}/${name}: refs and after`,
        )
        for (const p of pushes) {
          t.ok(p.repository.fullName.includes('/'), `${host}/${name}: repository full name`)
          t.equal(
            p.filesKnown && (host === 'bitbucket-cloud' || host === 'bitbucket-server'),
            false,
            `${host}/${name}: Bitbucket never knows files`,
          )
        }
      }
      for (const pr of events.filter((e): e is PullRequestEvent => e.kind === 'pull_request')) {
        t.ok(pr.number > 0 && pr.source.branch && pr.target.branch, `${host}/${name}: PR number and branches`)
      }
    }
    t.ok(checked > 0, `checked ${checked} corpus deliveries`)
  })
}
