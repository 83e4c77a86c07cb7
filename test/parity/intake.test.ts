// The parity routes end to end: a data-science repository on a real git server with `.tamer.yml`'s
// parity section, its reference predictions and its pip freeze; the real service reads them at the
// build's commit through the mirror and judges what the template posts (signed like the callback).
import t from 'tap'
import { gitAvailable } from '../git/repo.js'
import { sign, startMetricsHarness, type MetricsHarness } from '../support/metrics.js'
import type { BuildRecord } from '../../src/store/builds.js'
import { PARITY_FILES, PARITY_SETTINGS, REFERENCE } from '../support/parity.js'

async function post(m: MetricsHarness, path: string, b: BuildRecord, extra: Record<string, unknown>) {
  const cur = (await m.h.store.getBuild(b.id))!
  const body = JSON.stringify({ delivery_id: cur.parameters.DELIVERY_ID, job: cur.job, build_number: 1, ...extra })
  const res = await m.h.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/json', 'x-tamer-signature': sign(body) },
    payload: body,
  })
  return { statusCode: res.statusCode, body: res.json() as Record<string, unknown> }
}

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test('plan, pass, mismatches, bad input and limits', async (t) => {
    const m = await startMetricsHarness(t)
    const main = await m.push('main', PARITY_FILES)
    const b = main.build!

    let r = await post(m, '/api/jenkins/parity/plan', b, {})
    t.equal(r.statusCode, 200)
    t.same(r.body, {
      enabled: true,
      buildId: b.id,
      input: 'parity/input.csv',
      command: 'python predict.py "$TAMER_PARITY_INPUT" "$TAMER_PARITY_OUTPUT"',
    })

    // The same predictions, a score off by less than the tolerance, another scikit-learn in the image.
    const freeze = 'numpy==1.26.4\nscikit-learn==1.5.0\npandas==2.2.1\njoblib==1.4.2\n'
    r = await post(m, '/api/jenkins/parity', b, { predictions: REFERENCE.replace('0.12', '0.12004'), packages: freeze })
    t.equal(r.statusCode, 200, JSON.stringify(r.body))
    t.equal(r.body.verdict, 'pass')
    t.same(r.body.reasons, [])
    t.same(r.body.rows, { reference: 3, image: 3 })
    t.same(r.body.packages, [
      { name: 'scikit-learn', dev: '1.4.2', image: '1.5.0' },
      { name: 'joblib', dev: null, image: '1.4.2' },
    ])
    t.same(r.body.reference, {
      input: 'parity/input.csv',
      predictions: 'parity/predictions.csv',
      packages: 'requirements.lock',
    })
    const stored = await m.h.store.latestParityReport(b.id)
    t.equal(stored?.pass, true, 'stored per build')

    // Another row count: a clear mismatch naming both counts, not a crash.
    r = await post(m, '/api/jenkins/parity', b, { predictions: 'id,label,proba\n1,churn,0.91\n2,stay,0.12\n' })
    t.equal(r.statusCode, 200)
    t.equal(r.body.verdict, 'fail')
    t.same(r.body.reasons, ['row count: 3 in the reference, 2 from the image'])
    t.same(r.body.notes, ["the image's pip freeze was not sent: package versions not compared"])

    // A label and a score beyond the tolerance: the largest differences, named by key.
    r = await post(m, '/api/jenkins/parity', b, {
      predictions: REFERENCE.replace('1,churn,0.91', '1,stay,0.91').replace('0.40', '0.47'),
    })
    t.equal(r.body.verdict, 'fail')
    t.same(r.body.reasons, ['label: 1 of 3 rows differ', 'proba: 1 of 3 rows differ by more than 1e-4 (largest 0.07)'])
    t.match(r.body.differences, [
      { row: 1, key: '1', column: 'label', expected: 'churn', actual: 'stay', diff: null },
      { row: 3, key: '3', column: 'proba', expected: '0.40', actual: '0.47' },
    ])
    t.equal((await m.h.store.latestParityReport(b.id))?.pass, false, 'the latest result is kept')

    // Non-numeric scores, a missing column, a body that is not CSV: reasons, not 500s.
    r = await post(m, '/api/jenkins/parity', b, { predictions: REFERENCE.replace('0.91', 'high') })
    t.same(r.body.reasons, ['proba: 1 of 3 rows differ by more than 1e-4; some values are not numbers'])
    r = await post(m, '/api/jenkins/parity', b, { predictions: 'id,label\n1,churn\n2,stay\n3,stay\n' })
    t.same(r.body.reasons, ['the image\'s predictions have no column "proba"'])
    r = await post(m, '/api/jenkins/parity', b, { predictions: 'id,label,proba\n1,"churn\n' })
    t.match(r.body.reasons, [/^the image's predictions are not valid CSV: /])

    // Refusals: shape, signature, unknown build, size.
    r = await post(m, '/api/jenkins/parity', b, { predictions: 42 })
    t.equal(r.statusCode, 400)
    t.equal(r.body.code, 'TAMER_BAD_PARITY')
    const body = JSON.stringify({ delivery_id: 'x', job: 'y', predictions: '' })
    let res = await m.h.app.inject({
      method: 'POST',
      url: '/api/jenkins/parity',
      headers: { 'content-type': 'application/json', 'x-tamer-signature': sign(body + ' ') },
      payload: body,
    })
    t.equal(res.statusCode, 401)
    res = await m.h.app.inject({
      method: 'POST',
      url: '/api/jenkins/parity',
      headers: { 'content-type': 'application/json', 'x-tamer-signature': sign(body) },
      payload: body,
    })
    t.equal(res.statusCode, 404)
    t.equal(res.json().code, 'TAMER_NOT_FOUND')
    // 50 MB, over the default metrics.parityMaxBodyBytes (16 MiB): refused before it is read.
    const big = Buffer.alloc(50 * 1_048_576, 'a')
    res = await m.h.app.inject({
      method: 'POST',
      url: '/api/jenkins/parity',
      headers: { 'content-type': 'application/json', 'x-tamer-signature': sign(big) },
      payload: big,
    })
    t.equal(res.statusCode, 413)
    t.equal(res.json().code, 'TAMER_PAYLOAD_TOO_LARGE')

    // A commit without a parity section: the plan says so; a post fails saying why.
    const feat = await m.push('feature/no-parity', { '.tamer.yml': 'metrics:\n  thresholds: {}\n' })
    r = await post(m, '/api/jenkins/parity/plan', feat.build!, {})
    t.same(r.body, { enabled: false, buildId: feat.build!.id, input: null, command: null })
    r = await post(m, '/api/jenkins/parity', feat.build!, { predictions: REFERENCE })
    t.same(r.body.reasons, ['.tamer.yml has no parity section at this commit: nothing to compare with'])

    // The reference named but not committed: a failure naming the file and commit.
    const gone = await m.push('feature/gone', {
      '.tamer.yml': PARITY_SETTINGS.replace('parity/predictions.csv', 'parity/nope.csv'),
    })
    r = await post(m, '/api/jenkins/parity', gone.build!, { predictions: REFERENCE })
    t.same(r.body.reasons, [`parity.predictions: parity/nope.csv is not in the repository at ${gone.sha.slice(0, 10)}`])

    // A path leaving the repository is refused by the settings schema, with its line.
    const bad = await m.push('feature/escape', {
      '.tamer.yml': PARITY_SETTINGS.replace('parity/predictions.csv', '../etc/passwd'),
    })
    t.equal(bad.build?.state, 'finished', 'not started: the settings are invalid')
    t.equal(
      bad.build?.lastError,
      'Invalid repository settings: .tamer.yml line 3, column 16: parity.predictions: must be a path inside the repository (relative, without ..)',
    )
  })
}
