// tamer_work_claims_total (issue #16, bench:load): on shared work (PostgreSQL) each claim of the pipeline
// is counted by queue and by whether it came back with rows, so the wake-ups that find nothing show.
import t from 'tap'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import { freshDatabase } from '../support/postgres.js'
import { startPipelineApp } from '../support/pipeline-app.js'

const count = (text: string, queue: string, outcome: string) =>
  Number(
    new RegExp(`^tamer_work_claims_total\\{queue="${queue}",outcome="${outcome}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0,
  )

t.test('PostgreSQL: claims of deliveries and builds are counted, with work or empty', async (t) => {
  const url = await freshDatabase(t)
  if (!url) return
  const h = await startPipelineApp(t, {
    openStore: () => openPostgresStore({ url }),
    // Stored as another process stores them (`tamer run`): claimed, not held by the replica that stored it.
    wrapStore: (s) => ({ ...s, holdStoredDeliveries: undefined }),
  })
  const scrape = async () => (await h.app.inject({ method: 'GET', url: '/metrics' })).body
  const r = await h.push({}, 'claims-1')
  t.equal(r.statusCode, 202)
  await h.drain()
  t.ok(count(await scrape(), 'deliveries', 'work') >= 1, 'the delivery was claimed')
  // Its plan holds its build (sent by the replica that planned it); following it is claimed once it is due.
  h.advance(10 * 60_000)
  await h.drain()
  const after = await scrape()
  t.ok(count(after, 'builds', 'work') >= 1, 'its build was claimed')
  // Nothing left: a wake-up's claims come back empty.
  const empty = count(after, 'deliveries', 'empty')
  h.pipeline.rescan()
  await h.drain()
  t.ok(count(await scrape(), 'deliveries', 'empty') > empty, 'a claim with nothing to take is counted empty')
})
