// deploy/k8s/ against the Kubernetes API's own schemas, offline: `kubernetes-validate` (PyPI) ships the
// OpenAPI schemas of every Kubernetes release inside its package, so nothing is downloaded at test time
// (`pip install kubernetes-validate==1.37.0`; .ci/run installs it). --strict refuses unknown fields. The
// ServiceMonitor is a CRD it has no schema for: its fields are checked here. And the manifests agree with
// the image and the service: the Dockerfile's numeric user, the probes' routes, the ports' names.
import { execFile } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { parseAllDocuments } from 'yaml'

const ROOT = resolve(import.meta.dirname, '../..')
const DIR = join(ROOT, 'deploy/k8s')
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'))

type Doc = Record<string, any>
const docs: { file: string; doc: Doc }[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => ({ file, doc: d.toJS() as Doc })),
)
const kind = (k: string) => docs.filter((d) => d.doc.kind === k).map((d) => d.doc)

t.test('every manifest is valid against Kubernetes 1.37 schemas (strict), offline', async (t) => {
  const run = promisify(execFile)
  const found = await run('kubernetes-validate', ['--version']).then(
    () => true,
    () => false,
  )
  if (!found)
    return void (process.env.CI
      ? t.fail('kubernetes-validate is required in CI (pip install kubernetes-validate==1.37.0)')
      : t.skip('kubernetes-validate not installed (pip install kubernetes-validate==1.37.0)', () => {}))
  // One process for every file (Python's start-up and the schema loading are most of the time).
  const r = await run('kubernetes-validate', ['--strict', '-k', '1.37.0', ...files.map((f) => join(DIR, f))]).then(
    (o) => ({ ok: true, out: o.stdout + o.stderr }),
    (e: { stdout: string; stderr: string }) => ({ ok: false, out: e.stdout + e.stderr }),
  )
  t.ok(r.ok, r.out.trim())
  for (const file of files)
    if (file !== 'servicemonitor.yaml')
      t.match(r.out, new RegExp(`${file} passed for resource`), `${file} was checked against a schema`)
})

t.test('the pods run as the Dockerfile user, probe the real routes and drain within their grace period', async (t) => {
  const uid = /useradd --uid (\d+)/.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))![1]
  const workloads = [...kind('Deployment'), ...kind('StatefulSet')]
  t.equal(workloads.length, 2, 'the PostgreSQL Deployment and the one-replica SQLite StatefulSet')
  t.equal(kind('StatefulSet')[0]!.spec.replicas, 1, 'SQLite: one writer')
  t.ok(kind('Deployment')[0]!.spec.replicas >= 2, 'PostgreSQL: replicas share the work (leases)')
  t.equal(kind('PodDisruptionBudget')[0]!.spec.minAvailable, 1, 'a drain leaves one replica serving')
  for (const w of workloads) {
    const pod = w.spec.template.spec
    t.equal(String(pod.securityContext.runAsUser), uid, `${w.kind}: runAsUser is the image's uid`)
    t.equal(pod.securityContext.runAsNonRoot, true)
    const c = pod.containers.find((x: Doc) => x.name === 'tamer')
    t.equal(c.livenessProbe.httpGet.path, '/healthz')
    t.equal(c.readinessProbe.httpGet.path, '/readyz')
    t.ok(c.resources?.requests?.memory && c.resources?.limits?.memory, `${w.kind}: memory requests and limits`)
    t.equal(c.securityContext.readOnlyRootFilesystem, true)
    t.same(w.spec.selector.matchLabels, w.spec.template.metadata.labels)
    t.ok(pod.terminationGracePeriodSeconds * 1000 > 25_000, 'grace period over the default shutdownTimeoutMs')
  }
  const routes = readFileSync(join(ROOT, 'src/http/health.ts'), 'utf8')
  t.match(routes, /'\/healthz'/)
  t.match(routes, /'\/readyz'/)
})

t.test('Service, PodDisruptionBudget and ServiceMonitor select the pods and name a port they have', async (t) => {
  const [deployment] = kind('Deployment')
  const labels = deployment!.spec.template.metadata.labels
  const [service] = kind('Service')
  t.same(service!.spec.selector, labels)
  const port = service!.spec.ports[0]
  const container = deployment!.spec.template.spec.containers[0]
  t.ok(
    container.ports.some((p: Doc) => p.name === port.targetPort),
    'the Service targets a named container port',
  )
  t.same(kind('PodDisruptionBudget')[0]!.spec.selector.matchLabels, labels)
  const [monitor] = kind('ServiceMonitor')
  t.match(monitor, { apiVersion: 'monitoring.coreos.com/v1', metadata: { name: 'tamer' } })
  t.same(monitor!.spec.selector.matchLabels, service!.metadata.labels, 'it selects the Service')
  t.match(monitor!.spec.endpoints, [{ port: port.name, path: '/metrics' }])
  t.match(monitor!.spec.endpoints[0].authorization, { type: 'Bearer', credentials: { name: 'tamer-secrets' } })
  t.same(Object.keys(monitor!.spec).sort(), ['endpoints', 'selector'])
})
