// The data-science template's Parity stage end to end: its own Python (taken from the Jenkinsfile) runs
// against the real Tamer over a socket, with a stand-in `docker` on PATH that runs the container's
// command on this machine with the mounts mapped (the image is what is stood in, not Tamer). The
// repository is a real git repository served over HTTP, the build runs in the Jenkins emulator, and
// the failure notice is read back from a real SMTP server: a parity pass, then a mismatch.
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { gitAvailable, tempDir } from '../git/repo.js'
import { startSmtpPeer } from '../support/notify/peers.js'
import { apiAuth, CALLBACK_SECRET } from '../support/pipeline-app.js'
import { startMetricsHarness } from '../support/metrics.js'
import { PARITY_FILES } from '../support/parity.js'

const template = readFileSync(new URL('../../jenkinsfiles/data-science.Jenkinsfile', import.meta.url), 'utf8')
const stage = [...template.matchAll(/python3 - <<'PY'\n([\s\S]*?)\nPY\n/g)]
  .map((m) => m[1]!)
  .find((p) => p.includes('TAMER_PARITY_URL'))

// `docker run [flags] IMAGE CMD…`: -v host:container mounts mapped back to host paths; `--entrypoint
// python … -m pip freeze` prints the image's package list.
const FAKE_DOCKER = `#!/usr/bin/env python3
import os, subprocess, sys
a = sys.argv[1:]
assert a[0] == 'run', a
i, mounts, env, entry, workdir = 1, {}, {}, None, '/'
while a[i].startswith('-'):
    flag = a[i]
    if flag == '--rm':
        i += 1
        continue
    value = a[i + 1]
    i += 2
    if flag == '-v':
        host, ctr = value.split(':')[:2]
        mounts[ctr] = host
    elif flag == '-e':
        k, _, v = value.partition('=')
        env[k] = v
    elif flag == '--entrypoint':
        entry = value
    elif flag == '-w':
        workdir = value
with open(os.environ['FAKE_DOCKER_LOG'], 'a') as log:
    log.write(' '.join(a) + '\\n')
def host(p):
    for c, h in sorted(mounts.items(), key=lambda x: -len(x[0])):
        if p == c or p.startswith(c + '/'):
            return h + p[len(c):]
    return p
if entry == 'python':
    sys.stdout.write(os.environ['FAKE_FREEZE'])
    sys.exit(0)
e = dict(os.environ)
e.update({k: host(v) for k, v in env.items()})
sys.exit(subprocess.run(a[i + 1:], cwd=host(workdir), env=e).returncode)
`

// The model: reads the reference input, writes id,label,proba (SHIFT moves every score).
const PREDICT = `import csv, os, sys
shift = float(os.environ.get('SHIFT', '0'))
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2], 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['id', 'label', 'proba'])
    for r in rows:
        p = {'1': 0.91, '2': 0.12, '3': 0.40}[r['id']] + shift
        w.writerow([r['id'], 'churn' if p > 0.5 else 'stay', '%.2f' % p])
`

const haveTools = (await gitAvailable()) && !!stage
if (!haveTools) {
  if (process.env.CI) t.fail('git and the template parity stage are required in CI')
  else t.skip('git missing', () => {})
} else {
  t.test("the template's parity stage, against Tamer, to the notice", async (t) => {
    const smtp = await startSmtpPeer()
    t.teardown(() => smtp.close())
    const m = await startMetricsHarness(t, {
      notifier: true,
      config: {
        notifications: {
          smtp: { host: '127.0.0.1', port: smtp.port, from: 'Tamer <ci@tamer.example.com>', timeoutMs: 2000 },
          rules: [{ repository: 'acme-ds/*', to: ['lead@example.com'] }],
        },
      },
    })
    const url = await m.h.app.listen({ host: '127.0.0.1', port: 0 })
    const dir = tempDir(t, 'tamer-parity-')
    const bin = join(dir, 'bin')
    const workspace = join(dir, 'workspace')
    mkdirSync(bin)
    mkdirSync(join(workspace, 'parity'), { recursive: true })
    writeFileSync(join(bin, 'docker'), FAKE_DOCKER)
    chmodSync(join(bin, 'docker'), 0o755)
    const files = {
      ...PARITY_FILES,
      '.tamer.yml': PARITY_FILES['.tamer.yml'].replace('python predict.py', 'python3 predict.py'),
      'predict.py': PREDICT,
    }
    // The workspace Jenkins checked out: the pushed commit's files.
    for (const [name, text] of Object.entries(files)) writeFileSync(join(workspace, name), text)

    const run = async (build: { parameters: Record<string, string>; job: string }, shift: string) => {
      const child = spawn('python3', ['-c', stage!], {
        cwd: workspace,
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          TAMER_PARITY_URL: `${url}/api/jenkins/parity`,
          TAMER_CALLBACK_SECRET: CALLBACK_SECRET,
          DELIVERY_ID: build.parameters.DELIVERY_ID,
          JOB_NAME: build.job,
          BUILD_NUMBER: '1',
          DOCKER_IMAGE: 'registry.example.com/acme/churn',
          COMMIT_SHA: build.parameters.COMMIT_SHA,
          WORKSPACE: workspace,
          SHIFT: shift,
          FAKE_DOCKER_LOG: join(dir, 'docker.log'),
          FAKE_FREEZE: 'numpy==1.26.4\nscikit-learn==1.5.0\npandas==2.2.1\n',
        },
      })
      let out = ''
      child.stdout.on('data', (c: Buffer) => (out += c.toString()))
      child.stderr.on('data', (c: Buffer) => (out += c.toString()))
      const status = await new Promise<number | null>((r) => child.on('close', r))
      return { status, out }
    }

    // main: the image predicts what development did.
    const main = await m.push('main', files)
    let r = await run(main.build!, '0')
    t.equal(r.status, 0, r.out)
    t.match(r.out, `parity: running 'python3 predict.py "$TAMER_PARITY_INPUT" "$TAMER_PARITY_OUTPUT"' inside`)
    t.match(r.out, 'parity: 3 rows in the reference, 3 from the image')
    t.match(r.out, /scikit-learn\s+1\.4\.2 -> 1\.5\.0/)
    t.match(r.out, 'parity passed (Tamer)')
    const docker = readFileSync(join(dir, 'docker.log'), 'utf8')
    t.match(docker, `--network none -v ${workspace}:/workspace:ro`, 'no network, the workspace read-only')
    t.match(docker, `registry.example.com/acme/churn:${main.sha} sh -c python3 predict.py`, 'the image of this commit')
    await m.finish('SUCCESS')
    const res = await m.h.app.inject({ url: `/api/builds/${main.build!.id}`, headers: apiAuth() })
    t.match(res.json().parity, {
      verdict: 'pass',
      summary: 'Parity passed: 3 rows, 3 columns as in development',
      rows: { reference: 3, image: 3 },
      packages: [{ name: 'scikit-learn', dev: '1.4.2', image: '1.5.0' }],
    })

    // feature: the image's scores drift by 0.15, so row 3's label flips: the stage fails with Tamer's reasons.
    const feat = await m.push('feature/drift', { 'model.py': 'v2\n' })
    r = await run(feat.build!, '0.15')
    t.equal(r.status, 1, 'the stage fails')
    t.match(r.out, /row\s+key\s+column\s+development\s+image\s+difference/)
    t.match(r.out, /3\s+3\s+label\s+stay\s+churn\s+-/)
    t.match(
      r.out,
      'parity failed (Tamer): label: 1 of 3 rows differ; proba: 3 of 3 rows differ by more than 1e-4 (largest 0.15)',
    )
    t.notMatch(r.out, CALLBACK_SECRET, 'the secret is never printed')
    await m.finish('FAILURE')
    await m.h.service.notifier.drain()

    t.equal(smtp.mails.length, 1, 'one mail: the failure')
    const mail = smtp.mails[0]!.parsed
    const text = mail.text ?? ''
    t.match(text, 'Dev/prod parity: FAILED')
    t.match(text, '- label: 1 of 3 rows differ')
    t.match(text, '  row 3 (3) label: development stay, image churn')
    t.match(text, /row \d \(\d\) proba: development 0\.\d+, image 0\.\d+ \(difference 0\.15\)/)
    t.match(text, 'Package versions, development -> image (requirements.lock):')
    t.match(text, '  scikit-learn 1.4.2 -> 1.5.0')
    t.match(String(mail.html), '<h3>Dev/prod parity: FAILED</h3>')
    const detail = (await m.h.app.inject({ url: `/api/builds/${feat.build!.id}`, headers: apiAuth() })).json()
    t.equal(detail.parity.verdict, 'fail')
    t.equal(detail.parity.differences[0].column, 'label', 'the label first, then the largest scores')
  })
}
