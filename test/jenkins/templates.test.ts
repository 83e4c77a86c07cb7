// Shared Jenkinsfile templates: Groovy syntax (groovyc), parameter wiring
// between each template's `parameters {}` block and the job config Tamer
// posts, and the template's own Python snippets (metric gate, signed callback).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { copyFileSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { COMMON_PARAMETERS, defaultTemplatesDir, listTemplates, loadTemplate } from '../../src/jenkins/templates.js'
import { renderPipelineJobConfigXml } from '../../src/jenkins/job-config.js'
import { emulator } from '../support/jenkins-emulator/fixtures.js'

const REQUIRED = [
  'REPO_URL',
  'BRANCH',
  'COMMIT_SHA',
  'PROVIDER',
  'DELIVERY_ID',
  'DIFF_URL',
  'THRESHOLDS',
  'CALLBACK_URL',
]
const templates = listTemplates()

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : undefined
}

/** JAVA_HOME as Debian's groovyc needs it: two levels above the real `java`. */
function javaHome(): string | undefined {
  if (process.env.JAVA_HOME) return process.env.JAVA_HOME
  const java = which('java')
  return java ? dirname(dirname(realpathSync(java))) : undefined
}

function groovyc(files: string[], out: string): { status: number | null; output: string } {
  const home = javaHome()
  const r = spawnSync('groovyc', ['-d', out, ...files], {
    encoding: 'utf8',
    env: { ...process.env, ...(home ? { JAVA_HOME: home } : {}) },
    timeout: 60_000,
  })
  return { status: r.status, output: `${r.stdout}${r.stderr}` }
}

t.test('templates exist', async (t) => {
  t.same(templates, ['data-science', 'tests-only'])
})

t.test(
  'a template Tamer cannot make a job from is a coded refusal (TAMER_JOB_TEMPLATE), not a bare Error',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tamer-templates-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    // A template file of the operator's own passes the config check (the file exists), but Tamer
    // declares no parameter list for it.
    copyFileSync(
      join(dirname(loadTemplate('tests-only').file), 'tests-only.Jenkinsfile'),
      join(dir, 'mine.Jenkinsfile'),
    )
    t.throws(() => loadTemplate('mine', dir), {
      code: 'TAMER_JOB_TEMPLATE',
      message: /template mine has no parameter list/,
    })
    t.throws(() => loadTemplate('Not A Name', dir), {
      code: 'TAMER_JOB_TEMPLATE',
      message: /invalid template name "Not A Name"/,
    })
    t.throws(() => defaultTemplatesDir(dir), {
      code: 'TAMER_JOB_TEMPLATE',
      message: /no jenkinsfiles\/ directory above/,
    })
    const nul = { script: 'pipeline {}\0', parameters: [], description: 'a binary template' }
    t.throws(() => renderPipelineJobConfigXml(nul), {
      code: 'TAMER_JOB_TEMPLATE',
      message: /NUL characters cannot be written to config\.xml/,
    })
  },
)

const haveGroovyc = !!which('groovyc')
const groovycSkip =
  !haveGroovyc && !process.env.CI
    ? 'groovyc not installed (apt-get install -y groovy); with CI set this fails instead'
    : false

t.test('groovyc syntax check of every template', { skip: groovycSkip }, async (t) => {
  if (!haveGroovyc) {
    t.fail(
      'groovyc is missing: CI must `apt-get install -y groovy` (and set JAVA_HOME) to check the Jenkinsfile templates',
    )
    return
  }
  const dir = mkdtempSync(join(tmpdir(), 'tamer-groovyc-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const files = templates.map((name) => {
    // A class name cannot contain '-': copy to an underscore name.
    const file = join(dir, `${name.replace(/-/g, '_')}.groovy`)
    copyFileSync(loadTemplate(name).file, file)
    return file
  })
  // All in one groovyc (each is a JVM start, ~1.5 s of CPU): it exits 0 only if every file compiles,
  // and names the ones that do not.
  const r = groovyc(files, join(dir, 'out'))
  t.equal(r.status, 0, `${templates.join(', ')} compile${r.status === 0 ? '' : `:\n${r.output}`}`)
  // The check itself must be able to fail: drop the last closing brace.
  const broken = join(dir, 'broken.groovy')
  writeFileSync(broken, loadTemplate('tests-only').script.replace(/}\s*$/, ''))
  const bad = groovyc([broken], join(dir, 'out'))
  t.not(bad.status, 0, 'a template with a syntax error is rejected')
  t.match(bad.output, /expecting '}'|unexpected|error/i)
})

/** The `parameters { ... }` block of a declarative Jenkinsfile: name → {kind, default}. */
function declaredParameters(script: string): Map<string, { kind: string; defaultValue: string | undefined }> {
  const start = script.search(/^\s*parameters\s*\{/m)
  if (start < 0) return new Map()
  let depth = 0
  let end = script.indexOf('{', start)
  for (let i = end; i < script.length; i++) {
    if (script[i] === '{') depth++
    else if (script[i] === '}' && --depth === 0) {
      end = i
      break
    }
  }
  const block = script.slice(start, end)
  const out = new Map<string, { kind: string; defaultValue: string | undefined }>()
  for (const m of block.matchAll(/\b(string|text|booleanParam|choice|password)\s*\(([^\n]*)\)/g)) {
    const args = m[2] ?? ''
    const name = /name:\s*'([^']*)'/.exec(args)?.[1]
    if (name) out.set(name, { kind: m[1] ?? '', defaultValue: /defaultValue:\s*'([^']*)'/.exec(args)?.[1] })
  }
  return out
}

// The job config Tamer provisions is the parameters' one definition: a Declarative `parameters {}`
// block would replace it (Tamer's BRANCH choice list among them, issue #14) at a job's first run.
t.test('parameter wiring: the Jenkinsfile reads only job config parameters and declares none itself', async (t) => {
  const used = (script: string) =>
    new Set([...script.matchAll(/\bparams\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))
  for (const name of templates) {
    const tpl = loadTemplate(name)
    t.equal(declaredParameters(tpl.script).size, 0, `${name}: no parameters {} block`)
    t.notMatch(tpl.script, /^\s*parameters\s*\{/m, `${name}: no parameters directive`)
    const inJob = new Set(tpl.parameters.map((p) => p.name))
    for (const param of used(tpl.script))
      t.ok(inJob.has(param), `${name}: params.${param} is declared by the job config`)
    for (const param of REQUIRED) t.ok(inJob.has(param), `${name}: the job declares ${param}`)
  }
  t.same(COMMON_PARAMETERS.map((p) => p.name).slice(0, REQUIRED.length), REQUIRED)
  // the checkers themselves notice a parameter block and an undeclared parameter
  t.equal(declaredParameters("pipeline {\n  parameters {\n    string(name: 'X', defaultValue: '')\n  }\n}").size, 1)
  t.ok(used('echo params.NOPE').has('NOPE'))
})

t.test('template structure: exact commit, optional stages skipped, authenticated callback', async (t) => {
  for (const name of templates) {
    const s = loadTemplate(name).script
    t.match(s, /branches\s*:\s*\[\[name: params\.COMMIT_SHA\]\]/, `${name}: checks out COMMIT_SHA`)
    t.match(s, /git rev-parse HEAD\)" = "\$COMMIT_SHA"/, `${name}: verifies the commit`)
    t.match(s, /post \{\s*always \{\s*script \{ reportBack\(\) \}/, `${name}: reports back in post always`)
    t.match(
      s,
      /withCredentials\(\[string\(credentialsId: 'tamer-callback-secret'/,
      `${name}: callback secret from a credential`,
    )
    t.notMatch(s, /echo[^\n]*(SECRET|PASSWORD|TOKEN)/i, `${name}: never echoes secrets`)
    t.notMatch(s, /sh\s*\(?\s*"[^"]*\$\{params\./, `${name}: no Groovy interpolation of parameters into sh`)
    t.match(s, /failed_stage: env\.TAMER_FAILED_STAGE/, `${name}: reports the failing stage`)
    t.match(s, /junit\(/, `${name}: publishes JUnit results`)
  }
  const ds = loadTemplate('data-science').script
  for (const stage of [
    'Environment (conda)',
    'Environment (pip)',
    'Unit tests',
    'Notebooks',
    'Data quality',
    'Evaluate',
    'Metric gate',
    'Docker image',
    'Sign-off',
    'Deploy',
  ]) {
    const at = ds.indexOf(`stage('${stage}')`)
    t.ok(at > 0, `data-science has stage ${stage}`)
    t.match(ds.slice(at, at + 400), /when \{/, `${stage} is skipped by a when condition when not configured`)
  }
  t.match(ds, /input\(message:[\s\S]{0,200}submitter: params\.SIGNOFF_SUBMITTERS/)
  t.match(ds, /papermill/)
  t.match(ds, /nbconvert --to notebook --execute/)
  t.ok(ds.indexOf("stage('Sign-off')") < ds.indexOf("stage('Deploy')"), 'sign-off before deploy')
})

/** The Python inside `python3 - <<'PY' … PY` heredocs of a template, in order. */
function pythonSnippets(script: string): string[] {
  return [...script.matchAll(/python3 - <<'PY'\n([\s\S]*?)\nPY\n/g)].map((m) => m[1] ?? '')
}

t.test(
  'metric gate snippet: fails below a threshold, passes at or above',
  { skip: !which('python3') && 'python3 missing' },
  async (t) => {
    const gate = pythonSnippets(loadTemplate('data-science').script).find((p) => p.includes('THRESHOLDS'))
    t.ok(gate, 'found the gate')
    const dir = mkdtempSync(join(tmpdir(), 'tamer-gate-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const metrics = join(dir, 'metrics.json')
    writeFileSync(metrics, JSON.stringify({ accuracy: 0.91, auc: 0.8, rmse: 0.2 }))
    const run = (thresholds: unknown, file = metrics) =>
      spawnSync('python3', ['-c', gate ?? ''], {
        encoding: 'utf8',
        env: { ...process.env, THRESHOLDS: JSON.stringify(thresholds), METRICS_FILE: file },
      })
    t.equal(run({ accuracy: 0.9, auc: 0.8 }).status, 0, 'at or above every threshold')
    const low = run({ accuracy: 0.95, auc: 0.5 })
    t.equal(low.status, 1)
    t.match(low.stderr, 'metric gate failed for: accuracy')
    t.equal(run({ rmse: { max: 0.1 } }).status, 1, 'upper bound')
    t.equal(run({ f1: 0.1 }).status, 1, 'a missing metric fails')
    t.equal(run({ accuracy: 0.5 }, join(dir, 'absent.json')).status, 1, 'no metrics file fails')
  },
)

t.test(
  'callback snippet: HMAC-SHA256 over the exact body, secret never printed',
  { skip: !which('python3') && 'python3 missing' },
  async (t) => {
    const callback = pythonSnippets(loadTemplate('tests-only').script).find((p) => p.includes('X-Tamer-Signature'))
    t.ok(callback)
    const dir = mkdtempSync(join(tmpdir(), 'tamer-cb-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const body = JSON.stringify({ delivery_id: 'd-1', result: 'FAILURE', failed_stage: 'Unit tests' })
    const { mkdirSync } = await import('node:fs')
    mkdirSync(join(dir, '.tamer'))
    writeFileSync(join(dir, '.tamer/callback.json'), body)
    const got: { headers: Record<string, unknown>; body: string }[] = []
    const server = createServer((req, res) => {
      let data = ''
      req.on('data', (c: Buffer) => (data += c.toString()))
      req.on('end', () => {
        got.push({ headers: req.headers, body: data })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    t.teardown(() => server.close())
    const secret = 'hush-hush-secret'
    const { spawn } = await import('node:child_process')
    const child = spawn('python3', ['-c', callback ?? ''], {
      cwd: dir,
      env: {
        ...process.env,
        TAMER_CALLBACK_SECRET: secret,
        CALLBACK_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jenkins/callback`,
        DELIVERY_ID: 'd-1',
      },
    })
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr.on('data', (c: Buffer) => (output += c.toString()))
    const status = await new Promise<number | null>((r) => child.on('close', r))
    t.equal(status, 0)
    t.equal(got.length, 1)
    t.equal(got[0]?.body, body)
    t.equal(got[0]?.headers['x-tamer-signature'], `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`)
    t.equal(got[0]?.headers['x-tamer-delivery'], 'd-1')
    t.notMatch(output, secret, 'secret not printed')
    t.match(output, 'Tamer callback answered 204')
  },
)

t.test('each template becomes a parameterized job in the emulator', async (t) => {
  const j = await emulator(t)
  for (const name of templates) {
    const tpl = loadTemplate(name)
    const xml = renderPipelineJobConfigXml({
      script: tpl.script,
      parameters: tpl.parameters,
      description: `Tamer template ${name}`,
    })
    const r = await j.call(`/createItem?name=${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: xml,
    })
    t.equal(r.status, 200)
    const job = (await j.call(`/job/${name}/api/json`)).json()
    t.same(
      job.property[0].parameterDefinitions.map((p: { name: string }) => p.name),
      tpl.parameters.map((p) => p.name),
      `${name}: the first buildWithParameters already knows every parameter`,
    )
    const b = await j.call(`/job/${name}/buildWithParameters`, {
      method: 'POST',
      form: { COMMIT_SHA: 'a'.repeat(40), DELIVERY_ID: 'x' },
    })
    t.equal(b.status, 201)
  }
})
