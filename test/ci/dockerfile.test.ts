// Issue #11, item 13, checked without docker: the Dockerfile installs dependencies before it copies
// the code (a code change must not reinstall and recompile them), runs as a fixed numeric user
// (Kubernetes' runAsNonRoot can only verify a numeric USER), and the README's Kubernetes example
// runs as those same ids.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parseAllDocuments } from 'yaml'

const ROOT = join(import.meta.dirname, '..', '..')
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8')

interface Instruction {
  stage: number
  op: string
  args: string
}

/** Instructions with continuation lines joined and comments dropped; `stage` counts FROMs. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = []
  let stage = -1
  for (const line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line)
    if (!m || line.trimStart().startsWith('#')) continue
    const op = m[1]!.toUpperCase()
    if (op === 'FROM') stage++
    out.push({ stage, op, args: m[2]!.trim() })
  }
  return out
}

const get = (v: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), v)

const docker = instructions(read('Dockerfile'))
const build = docker.filter((i) => i.stage === 0)
const runtime = docker.filter((i) => i.stage === docker.at(-1)!.stage)

t.test('the build stage installs dependencies from package*.json before it copies src/', async (t) => {
  const at = (pred: (i: Instruction) => boolean, what: string) => {
    const k = build.findIndex(pred)
    t.ok(k >= 0, what)
    return k
  }
  const copyManifests = at(
    (i) => i.op === 'COPY' && /\bpackage\.json\b/.test(i.args) && /\bpackage-lock\.json\b/.test(i.args),
    'COPY package.json package-lock.json',
  )
  const install = at((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args), 'RUN npm ci')
  const copySrc = at((i) => i.op === 'COPY' && /(^|\s)\.?\/?src\/?\s/.test(i.args), 'COPY src')
  const buildRun = at((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args), 'RUN npm run build')
  t.ok(
    copyManifests < install && install < copySrc && copySrc < buildRun,
    'manifests, npm ci, then src, then the build',
  )
  t.ok(
    build
      .slice(0, install)
      .filter((i) => i.op === 'COPY')
      .every((i) => !/\bsrc\b|^\.\s/.test(i.args)),
    'nothing but manifests copied before npm ci',
  )
  // better-sqlite3 compiles where no prebuilt binary can be fetched: the toolchain stays in the build stage.
  t.ok(
    build
      .slice(0, install)
      .some((i) => i.op === 'RUN' && /\bpython3\b/.test(i.args) && /\bmake\b/.test(i.args) && /\bg\+\+/.test(i.args)),
    'python3, make and g++ installed before npm ci',
  )
  // npm ci --ignore-scripts skips better-sqlite3's install too; npm rebuild must run it.
  const ci = build[install]!.args
  if (/--ignore-scripts/.test(ci))
    t.match(ci, /\bnpm rebuild\b/, 'dependencies’ install scripts run after --ignore-scripts')
})

t.test('the image runs as a fixed numeric user, and the README’s Kubernetes example as the same ids', async (t) => {
  const user = runtime.filter((i) => i.op === 'USER').at(-1)
  t.ok(user, 'a USER')
  const m = /^(\d+):(\d+)$/.exec(user?.args ?? '')
  t.ok(m, `USER is numeric uid:gid (${user?.args})`)
  const [uid, gid] = [Number(m?.[1]), Number(m?.[2])]
  t.not(uid, 0, 'not root')
  const setup = runtime
    .filter((i) => i.op === 'RUN')
    .map((i) => i.args)
    .join('\n')
  t.match(setup, new RegExp(`groupadd\\b[^&]*--gid ${gid}\\b`), 'the group is created with that fixed id')
  t.match(
    setup,
    new RegExp(`useradd\\b[^&]*--uid ${uid}\\b[^&]*--gid ${gid}\\b`),
    'the user is created with that fixed id',
  )

  const entry = runtime.find((i) => i.op === 'ENTRYPOINT')
  const bin = (JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin['tamer']
  t.same(JSON.parse(entry?.args ?? '[]'), ['node', bin], 'the entry point is the `tamer` command package.json names')

  // The workloads operators apply (deploy/k8s/, which the README's Kubernetes section points at).
  const workloads = readdirSync(join(ROOT, 'deploy/k8s'))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(read(`deploy/k8s/${f}`)).map((d) => d.toJS() as unknown))
    .filter((d) => ['StatefulSet', 'Deployment'].includes(get(d, 'kind') as string))
  t.ok(workloads.length >= 2, 'deploy/k8s/ has the Deployment and the StatefulSet')
  for (const set of workloads) {
    const kind = String(get(set, 'kind'))
    const pod = get(set, 'spec', 'template', 'spec')
    t.match(
      get(pod, 'securityContext'),
      { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, fsGroup: gid },
      `${kind}: the pod runs as the image’s ids`,
    )
    const containers = [get(pod, 'initContainers') ?? [], get(pod, 'containers') ?? []].flat() as unknown[]
    for (const c of containers) {
      const sc = (get(c, 'securityContext') ?? {}) as Record<string, unknown>
      const name = `${kind} container ${String(get(c, 'name'))}`
      if ('runAsUser' in sc) t.equal(sc['runAsUser'], uid, `${name}: same uid`)
      if ('runAsGroup' in sc) t.equal(sc['runAsGroup'], gid, `${name}: same gid`)
    }
  }
})

t.test('the image runs the newest Node major that CI tests, and package.json engines allows it', async (t) => {
  const image = /^NODE_IMAGE=node:(\d+)-/.exec(docker.find((i) => i.op === 'ARG')?.args ?? '')
  const tested = [...read('.ci/run').matchAll(/^run_on_node (\d+)$/gm)].map((m) => Number(m[1]))
  t.ok(image, 'ARG NODE_IMAGE=node:<major>-…')
  t.ok(tested.length >= 2, 'CI runs the tests on each supported major')
  t.equal(Number(image?.[1]), Math.max(...tested), 'the image is on the newest major CI tests')
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node
  t.match(engines, /^>=\s*22\./, 'engines: from Node 22 on')
})
