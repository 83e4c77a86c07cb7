// A job Tamer cannot make from its template ends the build as `refused` (told to subscribers),
// instead of waiting for Jenkins forever; a template with no parameter list fails the config load.
import t from 'tap'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkRulesConfig } from '../../src/pipeline/check-config.js'
import { defaultTemplatesDir } from '../../src/jenkins/templates.js'
import { apiAuth, DS_RULE, startPipelineApp } from '../support/pipeline-app.js'
import { testConfig } from '../support/app.js'

function templatesCopy(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-templates-'))
  cpSync(defaultTemplatesDir(), dir, { recursive: true })
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('a template file gone since start: the build is refused once, not retried, and its end is told', async (t) => {
  const dir = templatesCopy(t)
  const h = await startPipelineApp(t, { io: { templatesDir: dir } })
  const ended: string[] = []
  h.service.signals.buildFinished.on((id) => void ended.push(id))
  rmSync(join(dir, `${DS_RULE.template}.Jenkinsfile`))
  t.equal((await h.push()).statusCode, 202)
  await h.drain()
  const [b] = await h.builds()
  t.match(b, { state: 'refused', nextAttemptAt: null, lastError: /cannot read template tests-only: ENOENT/ })
  t.same(ended, [b!.id], 'buildFinished told once')
  h.advance(3_600_000)
  await h.drain()
  t.equal((await h.builds())[0]!.state, 'refused', 'still refused an hour later')
  t.same(
    h.jenkinsRequests().filter((r) => r.startsWith('POST')),
    [],
    'nothing was created or triggered in Jenkins',
  )
  const res = await h.app.inject({ method: 'GET', url: '/api/builds?state=refused', headers: apiAuth() })
  t.equal(res.statusCode, 200)
  t.equal(res.json().items.length, 1, 'listed by its state')
})

t.test('a template Tamer has no parameter list for fails the config load, naming the rule', async (t) => {
  const dir = templatesCopy(t)
  writeFileSync(
    join(dir, 'custom.Jenkinsfile'),
    "pipeline { agent any; stages { stage('x') { steps { echo 'x' } } } }\n",
  )
  const config = testConfig({ rules: [DS_RULE] })
  t.doesNotThrow(() => checkRulesConfig(config, dir), 'a known template passes')
  config.rules[0]!.template = 'custom'
  t.throws(() => checkRulesConfig(config, dir), {
    code: 'TAMER_INVALID_CONFIG',
    key: 'rules.0.template',
    message: /template custom has no parameter list/,
  })
})
