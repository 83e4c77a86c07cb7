// A replay through the real service (composeService on real SQLite, the Jenkins emulator): the API's
// POST /api/deliveries/:id/replay and `tamer replay` (in process, on the same store) each store a new
// delivery that is routed and triggered again under its own DELIVERY_ID, audited, tenant-scoped.
import t from 'tap'
import { runTamer } from '../support/cli.js'
import { startPipelineApp } from '../support/pipeline-app.js'
import * as P from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'
import { SECRETS } from '../support/app.js'

const OPERATE = 'operate-token-0001'
const RISK_OPERATE = 'risk-operate-token-0001'
const tokens = [
  SECRETS.api,
  { token: OPERATE, scope: 'operate', name: 'ops' },
  { token: RISK_OPERATE, scope: 'operate', tenants: ['risk'], name: 'risk ops' },
  { token: 'admin-token-0001', scope: 'admin', name: 'admin' },
]
const as = (token: string) => ({ authorization: `Bearer ${token}` })

/** DELIVERY_ID of each build triggered, after checking each was one buildWithParameters at Jenkins. */
async function triggeredIds(h: Awaited<ReturnType<typeof startPipelineApp>>): Promise<string[]> {
  const sent = h.jenkinsRequests().filter((r) => r.includes('buildWithParameters')).length
  const ids = (await h.builds()).filter((b) => b.queueId !== null).map((b) => b.parameters.DELIVERY_ID!)
  if (sent !== ids.length) throw new Error(`${sent} buildWithParameters for ${ids.length} triggered builds`)
  return ids
}

t.test('POST /api/deliveries/:id/replay: a new delivery, triggered again under its own DELIVERY_ID', async (t) => {
  const h = await startPipelineApp(t, {
    config: { api: { tokens }, tenants: [{ name: 'risk', repositories: ['risk-team/*'] }] },
  })
  const { id } = await h.push()
  await h.drain()
  t.same(await triggeredIds(h), [id], 'the push triggered once')

  const url = `/api/deliveries/${id}/replay`
  const read = await h.app.inject({ method: 'POST', url, headers: as(SECRETS.api) })
  t.equal(read.statusCode, 403, 'a read token may not replay')
  const other = await h.app.inject({ method: 'POST', url, headers: as(RISK_OPERATE) })
  t.equal(other.statusCode, 404, "another tenant's delivery is not found")

  const headers = { ...as(OPERATE), 'idempotency-key': 'replay-1' }
  const res = await h.app.inject({ method: 'POST', url, headers })
  t.equal(res.statusCode, 202)
  const replay = res.json()
  t.match(replay, { replayOf: id, duplicate: false, tenant: 'default' })
  t.not(replay.deliveryId, id)
  const again = await h.app.inject({ method: 'POST', url, headers })
  t.match(again.json(), { deliveryId: replay.deliveryId, duplicate: true }, 'the same key is the same replay')

  await h.drain()
  t.same(await triggeredIds(h), [id, replay.deliveryId], 'triggered again, once, under the replay id')
  const stored = (await h.app.inject({ url: `/api/deliveries/${replay.deliveryId}`, headers: as(SECRETS.api) })).json()
  t.equal(stored.headers['x-tamer-replay-of'], id)
  t.equal(stored.normalized.events[0].replay.of, id)
  const audit = (await h.app.inject({ url: '/api/audit', headers: as('admin-token-0001') })).json()
  const entries = audit.items.filter((e: { action: string }) => e.action === 'delivery.replay')
  t.equal(entries.length, 1, 'audited once (the duplicate is not a second replay)')
  t.match(entries[0], { actor: 'config:ops', target: id, tenant: 'default', detail: { deliveryId: replay.deliveryId } })

  const ping = signedGitHub('ping', P.githubPing())
  const pingId = (
    await h.app.inject({ method: 'POST', url: '/hooks/github', headers: ping.headers, payload: ping.body })
  ).json().id
  const refused = await h.app.inject({ method: 'POST', url: `/api/deliveries/${pingId}/replay`, headers: as(OPERATE) })
  t.equal(refused.statusCode, 409)
  t.equal(refused.json().code, 'TAMER_NOT_REPLAYABLE')
})

t.test('tamer replay <id>: stored for the running service, which routes and triggers it', async (t) => {
  const h = await startPipelineApp(t)
  const { id } = await h.push()
  await h.drain()
  const env = { TAMER_DATA_DIR: h.dir, TAMER_ACTOR: 'ada' }
  const out = await runTamer(['replay', id], { env })
  t.equal(out.exitCode, 0, out.stderr)
  const replayId = /stored as delivery (\S+);/.exec(out.stdout)?.[1]
  t.ok(replayId, out.stdout)
  // The serving process finds it on its tick (every 15 s; compose/index.ts), which rescans the store.
  h.pipeline.rescan()
  await h.drain()
  t.same(await triggeredIds(h), [id, replayId])
  const [entry] = await h.store.listAudit({ limit: 5 })
  t.match(entry, { actor: 'cli:ada', action: 'delivery.replay', target: id })
  const missing = await runTamer(['replay', 'no-such-delivery'], { env })
  t.not(missing.exitCode, 0)
  t.match(missing.stderr, /TAMER_NOT_FOUND|not found/)
})
