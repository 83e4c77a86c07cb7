// When the recorded real Jenkins responses (../shared/corpus/jenkins/, relative to
// the repo root) are present, every JSON recording is compared with the
// emulator's answer for the same kind of object: each recorded field must
// exist in the emulator's JSON with the same JSON type. The corpus is not on
// every machine; the comparison itself is exercised on synthetic recordings.
import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { emulator, MINIMAL_XML, pushJobXml, queueIdOf } from '../support/jenkins-emulator/fixtures.js'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const CORPUS = process.env.JENKINS_CORPUS_DIR ?? resolve(REPO_ROOT, '../shared/corpus/jenkins')

/** Fields that exist only on classes the emulator does not produce (FreeStyle) or plugins it does not run. */
const NOT_EMULATED = new Set([
  'builtOn',
  'changeSet',
  'scm',
  'upstreamProjects',
  'downstreamProjects',
  'concurrentBuild',
  'labelExpression',
])

type Json = Record<string, unknown>
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

function compareShape(recorded: Json, emulated: Json): string[] {
  const problems: string[] = []
  for (const [key, value] of Object.entries(recorded)) {
    if (key === '_class' || NOT_EMULATED.has(key)) continue
    if (!(key in emulated)) {
      problems.push(`missing field ${key}`)
      continue
    }
    const a = typeOf(value)
    const b = typeOf(emulated[key])
    if (a !== b && a !== 'null' && b !== 'null') problems.push(`${key}: recorded ${a}, emulator ${b}`)
  }
  return problems
}

type Samples = Record<string, Json>

async function emulatorSamples(t: { teardown(fn: () => unknown): void }): Promise<Samples> {
  const j = await emulator(t, { buildableMs: 100, executableGapMs: 50 })
  j.control.createJob('p', pushJobXml())
  j.control.createJob('plain', MINIMAL_XML)
  j.control.createJob(
    'serial',
    pushJobXml().replace(
      '<properties>',
      '<properties>\n<org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty/>',
    ),
  )
  j.control.setDefaultScenario({ durationMs: 60_000 })
  const q = async (path: string) => queueIdOf((await j.call(path, { method: 'POST' })).header('location'))
  const item = async (id: number) => (await j.call(`/queue/item/${id}/api/json`)).json() as Json
  const left = await q('/job/p/buildWithParameters?DELIVERY_ID=1&delay=0sec')
  await q('/job/serial/buildWithParameters?DELIVERY_ID=1&delay=0sec')
  j.control.advance(1000)
  const blocked = await q('/job/serial/buildWithParameters?DELIVERY_ID=2&delay=0sec')
  const waiting = await q('/job/p/buildWithParameters?DELIVERY_ID=2')
  const cancelled = await q('/job/plain/build')
  j.control.cancelQueueItem(cancelled)
  j.control.setExecutors(0)
  const buildable = await q('/job/p/buildWithParameters?DELIVERY_ID=3&delay=0sec')
  j.control.advance(0)
  const samples: Samples = {
    'hudson.model.Queue$WaitingItem': await item(waiting),
    'hudson.model.Queue$BlockedItem': await item(blocked),
    'hudson.model.Queue$BuildableItem': await item(buildable),
    'hudson.model.Queue$LeftItem': await item(left),
    'queue.cancelled': await item(cancelled),
    'hudson.model.Queue': (await j.call('/queue/api/json')).json(),
    'build.running': (await j.call('/job/p/1/api/json')).json(),
  }
  j.control.advance(60_000)
  samples['org.jenkinsci.plugins.workflow.job.WorkflowRun'] = (await j.call('/job/p/1/api/json')).json()
  samples['org.jenkinsci.plugins.workflow.job.WorkflowJob'] = (await j.call('/job/p/api/json')).json()
  return samples
}

/** Which emulator sample a recording corresponds to, from its `_class` or file name. */
function counterpart(file: string, recorded: Json): string | undefined {
  const cls = typeof recorded._class === 'string' ? recorded._class : undefined
  if (file.startsWith('queue-item.')) {
    if (cls?.startsWith('hudson.model.Queue$')) return recorded.cancelled === true ? 'queue.cancelled' : cls
    if (file.includes('waiting')) return 'hudson.model.Queue$WaitingItem'
    if (file.includes('blocked')) return 'hudson.model.Queue$BlockedItem'
    if (file.includes('buildable')) return 'hudson.model.Queue$BuildableItem'
    if (file.includes('cancelled')) return 'queue.cancelled'
    if (file.includes('left')) return 'hudson.model.Queue$LeftItem'
  }
  if (file.startsWith('queue.')) return 'hudson.model.Queue'
  if (file.startsWith('build.'))
    return recorded.building === true ? 'build.running' : 'org.jenkinsci.plugins.workflow.job.WorkflowRun'
  if (file.startsWith('job.') && !cls?.includes('Folder')) return 'org.jenkinsci.plugins.workflow.job.WorkflowJob'
  return undefined
}

t.test('shape comparison catches differences (synthetic recordings)', async (t) => {
  const samples = await emulatorSamples(t)
  const left = {
    _class: 'hudson.model.Queue$LeftItem',
    actions: [],
    blocked: false,
    buildable: false,
    id: 599,
    inQueueSince: 1,
    params: '',
    stuck: false,
    task: {},
    url: 'queue/item/599/',
    why: null,
    cancelled: false,
    executable: { number: 54 },
  }
  const key = counterpart('queue-item.left-executable.workflowrun.api4jenkins.json', left)
  t.equal(key, 'hudson.model.Queue$LeftItem')
  t.same(compareShape(left, samples[key ?? ''] ?? {}), [])
  t.same(compareShape({ ...left, bogusField: 1 }, samples[key ?? ''] ?? {}), ['missing field bogusField'])
  t.same(compareShape({ ...left, id: '599' }, samples[key ?? ''] ?? {}), ['id: recorded string, emulator number'])
  const run = {
    _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun',
    actions: [],
    artifacts: [],
    building: false,
    description: null,
    displayName: '#52',
    duration: 1,
    estimatedDuration: 1,
    executor: null,
    fullDisplayName: 'x #52',
    id: '52',
    keepLog: false,
    number: 52,
    queueId: 667,
    result: 'FAILURE',
    timestamp: 1,
    url: 'u',
    changeSets: [],
    culprits: [],
    nextBuild: null,
    previousBuild: { number: 51, url: 'u' },
  }
  t.same(compareShape(run, samples[counterpart('build.finished-failure.json', run) ?? ''] ?? {}), [])
  const waiting = {
    _class: 'hudson.model.Queue$WaitingItem',
    actions: [],
    blocked: false,
    buildable: false,
    id: 668,
    inQueueSince: 1,
    params: '',
    stuck: false,
    task: {},
    url: 'queue/item/700/',
    why: 'In the quiet period. Expires in 4.6 sec',
    timestamp: 1,
  }
  t.same(
    compareShape(
      waiting,
      samples[counterpart('queue-item.waiting-quiet-period.workflowjob.api4jenkins.json', waiting) ?? ''] ?? {},
    ),
    [],
  )
})

const corpusPresent = existsSync(CORPUS)

t.test(
  'every JSON recording in the corpus matches the emulator',
  { skip: corpusPresent ? false : `corpus not present at ${CORPUS}` },
  async (t) => {
    const samples = await emulatorSamples(t)
    const files = readdirSync(CORPUS).filter((f) => f !== 'MANIFEST.md')
    t.ok(files.length > 0, 'corpus has recordings')
    for (const file of files) {
      const text = readFileSync(join(CORPUS, file), 'utf8')
      if (file.endsWith('.json')) {
        const recorded = JSON.parse(text) as Json
        const key = counterpart(file, recorded)
        if (!key) {
          t.comment(`${file}: no emulator counterpart (notification payloads and folders are not emulated)`)
          continue
        }
        t.same(compareShape(recorded, samples[key] ?? {}), [], `${file} ~ emulator ${key}`)
      } else if (file.startsWith('log.') && /Finished: /.test(text)) {
        const last = text.trimEnd().split(/\r?\n/).pop() ?? ''
        t.match(
          last,
          /^Finished: (SUCCESS|UNSTABLE|FAILURE|NOT_BUILT|ABORTED)$/,
          `${file}: last line has the emulated format`,
        )
      } else if (file.startsWith('config.') && /<flow-definition/.test(text)) {
        const j = await emulator(t)
        const r = await j.call('/createItem?name=rec', {
          method: 'POST',
          headers: { 'content-type': 'application/xml' },
          body: text,
        })
        t.equal(r.status, 200, `${file}: accepted by createItem`)
        const names = [...text.matchAll(/ParameterDefinition>\s*<name>([^<]+)<\/name>/g)].map((m) => m[1])
        const job = (await j.call('/job/rec/api/json')).json()
        t.same(
          (job.property[0]?.parameterDefinitions ?? []).map((d: { name: string }) => d.name),
          names,
          `${file}: parameters`,
        )
      } else {
        t.comment(`${file}: not compared`)
      }
    }
  },
)
