// The data-science template's own metric-gate step (its Python, taken from the Jenkinsfile) against
// the real Tamer over a socket: it signs and posts METRICS_FILE, prints Tamer's table and fails the
// stage on Tamer's `fail` with Tamer's reasons; a refusal fails it too, with the coded error.
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { gitAvailable, tempDir } from '../git/repo.js'
import { CALLBACK_SECRET } from '../support/pipeline-app.js'
import { startMetricsHarness } from '../support/metrics.js'

const template = readFileSync(new URL('../../jenkinsfiles/data-science.Jenkinsfile', import.meta.url), 'utf8')
const gate = [...template.matchAll(/python3 - <<'PY'\n([\s\S]*?)\nPY\n/g)]
  .map((m) => m[1]!)
  .find((p) => p.includes('TAMER_METRICS_URL'))

const haveTools = (await gitAvailable()) && !!gate
if (!haveTools) {
  if (process.env.CI) t.fail('git and the template gate are required in CI')
  else t.skip('git missing', () => {})
} else {
  t.test("the template's gate step, against Tamer", async (t) => {
    const m = await startMetricsHarness(t)
    const url = await m.h.app.listen({ host: '127.0.0.1', port: 0 })
    const dir = tempDir(t, 'tamer-gate-')
    const settings = "metrics:\n  thresholds:\n    accuracy: '>= 0.85'\n    auc: { maxDrop: 0.01 }\n"

    const run = async (metricsJson: string | null, build: { parameters: Record<string, string>; job: string }) => {
      const file = join(dir, 'metrics.json')
      if (metricsJson !== null) writeFileSync(file, metricsJson)
      const child = spawn('python3', ['-c', gate!], {
        env: {
          PATH: process.env.PATH,
          TAMER_METRICS_URL: `${url}/api/jenkins/metrics`,
          TAMER_CALLBACK_SECRET: CALLBACK_SECRET,
          DELIVERY_ID: build.parameters.DELIVERY_ID,
          JOB_NAME: build.job,
          BUILD_NUMBER: '1',
          METRICS_FILE: metricsJson === null ? join(dir, 'absent.json') : file,
        },
      })
      let out = ''
      child.stdout.on('data', (c: Buffer) => (out += c.toString()))
      child.stderr.on('data', (c: Buffer) => (out += c.toString()))
      const status = await new Promise<number | null>((r) => child.on('close', r))
      return { status, out }
    }

    const main = await m.push('main', { '.tamer.yml': settings })
    let r = await run('{"accuracy": 0.9, "auc": 0.82}', main.build!)
    t.equal(r.status, 0, r.out)
    t.match(r.out, /accuracy\s+0\.9\s+>= 0\.85\s+-\s+-\s+ok/)
    t.match(r.out, 'metric gate passed (Tamer)')
    await m.finish('SUCCESS')

    const feat = await m.push('feature/y', { 'model.py': 'v2\n' })
    r = await run('{"accuracy": NaN, "auc": 0.80}', feat.build!)
    t.equal(r.status, 1, 'the stage fails')
    t.match(r.out, /auc\s+0\.8\s+drop <= 0\.01\s+0\.82\s+-0\.02\s+FAIL/)
    t.match(r.out, `compared with main @ ${main.sha.slice(0, 10)}`)
    t.match(
      r.out,
      'metric gate failed (Tamer): accuracy is NaN, not a finite number (threshold >= 0.85); auc dropped 0.02 from 0.82',
    )
    r = await run(null, feat.build!)
    t.equal(r.status, 1)
    t.match(r.out, 'was not written by the evaluation')
    t.match(r.out, 'accuracy is missing from the metrics')

    r = await run('{"accuracy": 0.9}', { parameters: { DELIVERY_ID: 'no-such' }, job: 'ds/none' })
    t.equal(r.status, 1)
    t.match(r.out, 'metric gate: Tamer refused the metrics: TAMER_NOT_FOUND: build not found')
    t.notMatch(r.out, CALLBACK_SECRET, 'the secret is never printed')
  })
}
