// The Jenkins parameters of a planned build: DIFF_URL is a signed link to the push's diff page.
import t from 'tap'
import { createDiffLinks } from '../../src/links/diff-links.js'
import { noChangedFiles } from '../../src/pipeline/changed-files.js'
import { planSettings, routeDelivery } from '../../src/pipeline/plan.js'
import { testConfig } from '../support/app.js'
import { DS_RULE, startPipelineApp } from '../support/pipeline-app.js'
import { SHA_B } from '../support/payloads.js'

t.test('DIFF_URL is a signed link when links are configured, empty otherwise', async (t) => {
  const h = await startPipelineApp(t, { jenkins: null })
  const { id } = await h.push()
  const delivery = (await h.store.getDelivery(id))!
  const withLinks = testConfig({
    rules: [DS_RULE],
    links: { secret: 'plan-link-secret' },
    jenkins: { publicUrl: 'https://tamer.example.com' },
  })
  const { plan } = await routeDelivery(delivery, planSettings(withLinks, noChangedFiles))
  const url = new URL(plan.builds[0]!.parameters.DIFF_URL!)
  t.equal(url.origin + url.pathname, `https://tamer.example.com/diffs/${id}`)
  const links = createDiffLinks({ secret: 'plan-link-secret', publicUrl: 'https://tamer.example.com', ttlDays: 90 })
  t.ok(
    links.verify(id, url.searchParams.get('exp') ?? undefined, url.searchParams.get('sig') ?? undefined),
    'the link verifies',
  )
  t.ok(Number(url.searchParams.get('exp')) * 1000 > Date.now() + 89 * 86_400_000, 'valid for the configured 90 days')

  const without = testConfig({ rules: [DS_RULE], jenkins: { publicUrl: 'https://tamer.example.com' } })
  const { plan: unsigned } = await routeDelivery(delivery, planSettings(without, noChangedFiles))
  t.equal(unsigned.builds[0]!.parameters.DIFF_URL, '', 'no secret: no link that would only answer 401')
})

t.test(
  "the contract wins at plan time even over a rule that escaped config load; the subject is the event's",
  async (t) => {
    const h = await startPipelineApp(t, { jenkins: null })
    const { id } = await h.push({ ref: 'refs/heads/release/1' })
    const delivery = (await h.store.getDelivery(id))!
    const config = testConfig({ rules: [DS_RULE], jenkins: { publicUrl: 'https://tamer.example.com' } })
    // Only the config checks (checkConfig) refuse these; a config assembled another way must still not win.
    config.rules[0]!.parameters = {
      COMMIT_SHA: 'x',
      branch: 'evil',
      Delivery_Id: 'forged',
      THRESHOLDS: '{"auc": 0.8}',
      EXTRA: 'kept',
    }
    const { plan } = await routeDelivery(delivery, planSettings(config, noChangedFiles))
    const b = plan.builds[0]!
    t.match(b.parameters, {
      COMMIT_SHA: SHA_B,
      BRANCH: 'release/1',
      DELIVERY_ID: id,
      THRESHOLDS: '{"auc": 0.8}',
      EXTRA: 'kept',
    })
    t.notOk('branch' in b.parameters || 'Delivery_Id' in b.parameters, 'a contract name in another case is dropped too')
    t.match(b, {
      tenant: 'default',
      provider: 'github',
      repository: 'acme-ds/churn-model',
      ref: 'refs/heads/release/1',
      branch: 'release/1',
      commitSha: SHA_B,
      pullRequest: null,
    })
  },
)
