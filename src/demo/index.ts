// `tamer demo`: Tamer's main job, end to end, on one machine and offline. The service is composed
// as `tamer serve` composes it (src/compose/) on the embedded defaults (config/default.yaml; SQLite
// in a temp dir) with secrets generated here, next to real peers: a sample repository served by a
// git server on loopback (allowed by git.allowPrivateHosts, the documented way), the Jenkins
// emulator (a build that fails its tests) and a mail catcher. One signed GitHub push goes to the
// server over HTTP; the demo waits for the diff, the build and the failure mail, and reports links.
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto'
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadCheckedConfig } from '../compose/config.js'
import { composeService, type Service } from '../compose/index.js'
import type { Config } from '../config/schema.js'
import { diffLinksFromConfig } from '../links/diff-links.js'
import { createLogger } from '../logging.js'
import { secretValues } from '../security/secrets.js'
import type { BuildRecord } from '../store/builds.js'
import { serveGit, type GitHttpServer } from './git-http-server.js'
import { realClock, startJenkinsEmulator, type BuildScenario, type JenkinsEmulator } from './jenkins-emulator/index.js'
import { startMailCatcher, type CaughtMail, type MailCatcher } from './mail-catcher.js'
import { makeSampleRepo, NOTEBOOK_PATH, SAMPLE_AUTHOR, type SampleRepo } from './sample-repo.js'

/** The demo could not show its loop; `tamer demo` prints the message and exits 1. */
export class DemoError extends Error {
  override name = 'DemoError'
}

export interface DemoOptions {
  /** Tamer's port on 127.0.0.1 (default 8080; another free port when that one is taken; 0: any). */
  port?: number
  /** How long to wait for the diff, the build and the mail (default 50 s). */
  timeoutMs?: number
}

export interface DemoReport {
  /** Tamer's base URL. */
  url: string
  deliveryId: string
  repository: string
  before: string
  after: string
  /** The notebook diff page, signed (opens without a token). */
  diffUrl: string
  build: BuildRecord
  /** The read token the demo configured, for /api/*. */
  apiToken: string
  /** The build on the Jenkins emulator (anonymous read is allowed there). */
  jenkinsBuildUrl: string
  mail: CaughtMail
  /** Where the data, the log and the sample repository are (removed by close()). */
  dir: string
  logFile: string
  /** Wall time from start to the report, ms. */
  elapsedMs: number
  /** Everything the demo started stops; the temp dir is removed. */
  close(): Promise<void>
}

/** The scripted build: the tests stage fails on the AUC gate the notebook change breaks. */
export const DEMO_SCENARIO: BuildScenario = {
  result: 'FAILURE',
  durationMs: 1500,
  stages: ['Checkout', 'Environment', 'Tests', 'Notebooks'],
  failingStage: 'Tests',
  stageLog: {
    Tests: [
      '+ python -m pytest --junitxml=reports/junit.xml',
      'tests/test_model.py::test_auc_gate FAILED',
      'FAILED tests/test_model.py::test_auc_gate - AssertionError: AUC 0.784 is below the 0.8 gate',
      '1 failed, 11 passed in 4.21s',
    ],
  },
  // What the template's `junit` step records from pytest's --junitxml (pytest writes the module as classname).
  tests: {
    suites: [
      {
        name: 'pytest',
        cases: [
          ...['test_schema', 'test_no_leakage', 'test_split_sizes', 'test_feature_types', 'test_tenure_buckets'].map(
            (name) => ({ className: 'tests.test_data', name, status: 'PASSED' as const }),
          ),
          ...[
            'test_fit',
            'test_predict_shape',
            'test_predict_range',
            'test_seed',
            'test_save_load',
            'test_calibration',
          ].map((name) => ({ className: 'tests.test_model', name, status: 'PASSED' as const })),
          {
            className: 'tests.test_model',
            name: 'test_auc_gate',
            status: 'FAILED' as const,
            errorDetails: 'AssertionError: AUC 0.784 is below the 0.8 gate\nassert 0.784 >= 0.8',
            errorStackTrace: '    def test_auc_gate():\n>       assert auc >= 0.8, f"AUC {auc} is below the 0.8 gate"',
          },
        ],
      },
    ],
  },
}

export const DEMO_RECIPIENT = 'ds-team@example.com'

export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const started = Date.now()
  const deadline = started + (options.timeoutMs ?? 50_000)
  const dir = mkdtempSync(join(tmpdir(), 'tamer-demo-'))
  const stops: (() => Promise<unknown>)[] = []
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const gitRoot = join(dir, 'git')
    mkdirSync(gitRoot)
    const repo = await makeSampleRepo(gitRoot)
    const git = await serveGit({ projectRoot: gitRoot })
    stops.push(git.close)
    const mailCatcher = await startMailCatcher()
    stops.push(mailCatcher.close)

    const secrets = {
      github: randomBytes(24).toString('hex'),
      api: `demo_${randomBytes(24).toString('hex')}`,
      links: randomBytes(32).toString('base64url'),
      jenkins: randomBytes(16).toString('hex'),
    }
    const jenkins = await startJenkinsEmulator({
      clock: realClock,
      quietPeriodSec: 0,
      users: [{ id: 'tamer', fullName: 'Tamer Bot', apiToken: secrets.jenkins }],
      // A person opens the build page and its console without logging in.
      anonymousPermissions: ['Overall/Read', 'Job/Read'],
      defaultScenario: DEMO_SCENARIO,
    })
    stops.push(jenkins.close)

    const port = await freePort(options.port ?? 8080)
    const url = `http://127.0.0.1:${port}`
    const config = demoConfig({ dir, url, git, jenkins, mailCatcher, secrets })
    const logFile = join(dir, 'tamer.log')
    const logStream = createWriteStream(logFile)
    stops.push(() => new Promise((resolve) => logStream.end(resolve)))
    const service = await composeService(config, {
      logger: createLogger(config.server.logLevel, logStream, { secrets: secretValues(config) }),
    })
    stops.push(() => service.close())
    await service.listen()

    const deliveryId = await pushWebhook(url, repo, git.url, secrets.github)
    const build = await waitFor(deadline, 'the build to finish', () => finishedBuild(service, deliveryId))
    const mail = await waitFor(deadline, 'the failure mail', async () => mailCatcher.mails[0] ?? null)
    const diffUrl = await waitFor(deadline, 'the notebook diff', () => diffReady(config, deliveryId))
    return {
      url,
      deliveryId,
      repository: repo.fullName,
      before: repo.before,
      after: repo.after,
      diffUrl,
      build,
      apiToken: secrets.api,
      jenkinsBuildUrl: build.buildUrl ?? jenkins.url,
      mail,
      dir,
      logFile,
      elapsedMs: Date.now() - started,
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}

interface DemoParts {
  dir: string
  url: string
  git: GitHttpServer
  jenkins: JenkinsEmulator
  mailCatcher: MailCatcher
  secrets: { github: string; api: string; links: string; jenkins: string }
}

/** The embedded defaults (config/default.yaml; the environment is not read) with the demo's peers and secrets. */
export function demoConfig(p: DemoParts): Config {
  return loadCheckedConfig({
    env: {},
    overrides: {
      server: { host: '127.0.0.1', port: Number(new URL(p.url).port), logLevel: 'info' },
      dataDir: join(p.dir, 'data'),
      providers: { github: { secrets: [p.secrets.github] } },
      api: { tokens: [{ token: p.secrets.api, name: 'demo', scope: 'read' }] },
      links: { secret: p.secrets.links },
      // The sample repository is on a loopback git server: its host is named, nothing else is opened.
      git: {
        hosts: [{ provider: 'github', url: p.git.url }],
        protocols: ['http'],
        allowPrivateHosts: [new URL(p.git.url).host],
      },
      jenkins: {
        url: p.jenkins.url,
        user: 'tamer',
        token: p.secrets.jenkins,
        publicUrl: p.url,
        quietPeriodSec: 0,
        // The emulator's build takes 1.5 s: look often (the defaults suit builds of minutes).
        pollInitialMs: 250,
        pollMaxMs: 1000,
      },
      rules: [
        {
          name: 'data science',
          repository: 'demo/*',
          events: ['push'],
          template: 'tests-only',
          job: 'demo/{repo}/{branch}',
        },
      ],
      notifications: {
        smtp: { url: `smtp://127.0.0.1:${p.mailCatcher.port}`, from: 'Tamer demo <tamer@localhost>' },
        rules: [{ name: 'data science', repository: 'demo/*', to: [DEMO_RECIPIENT], culprits: true }],
      },
    },
  })
}

/**
 * A push of the sample repository's second commit, as GitHub sends it, signed with the webhook secret
 * (the console test sends it too).
 */
export async function pushWebhook(url: string, repo: SampleRepo, gitUrl: string, secret: string): Promise<string> {
  const [owner, name] = repo.fullName.split('/') as [string, string]
  const payload = {
    ref: 'refs/heads/main',
    before: repo.before,
    after: repo.after,
    created: false,
    deleted: false,
    forced: false,
    repository: {
      name,
      full_name: repo.fullName,
      owner: { name: owner, login: owner },
      clone_url: `${gitUrl}/${repo.fullName}.git`,
      default_branch: 'main',
    },
    pusher: { name: SAMPLE_AUTHOR.username, email: SAMPLE_AUTHOR.email },
    commits: repo.commits.map((c) => ({ ...c, distinct: true, author: SAMPLE_AUTHOR, committer: SAMPLE_AUTHOR })),
    head_commit: { id: repo.after },
  }
  const body = JSON.stringify(payload)
  const res = await fetch(`${url}/hooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-github-hook-id': createHash('sha256').update(repo.fullName).digest('hex').slice(0, 9),
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
    body,
  })
  const answer = (await res.json()) as { id?: string; message?: string }
  if (res.status !== 202 || !answer.id)
    throw new DemoError(`the push was refused: ${res.status} ${answer.message ?? ''}`)
  return answer.id
}

async function finishedBuild(service: Service, deliveryId: string): Promise<BuildRecord | null> {
  const [build] = await service.store.listBuilds({ deliveryId, limit: 1 })
  if (build?.lastError && build.state === 'waiting-for-jenkins') throw new DemoError(`Jenkins: ${build.lastError}`)
  return build?.state === 'finished' ? build : null
}

/** The page's signed URL once it answers 200 (202 while the diff is being made). */
async function diffReady(config: Config, deliveryId: string): Promise<string | null> {
  const url = diffLinksFromConfig(config).urlFor(deliveryId)
  if (!url) throw new DemoError('no signed link (links.secret and jenkins.publicUrl are set by the demo)')
  const res = await fetch(url)
  await res.arrayBuffer()
  if (res.status === 202) return null
  if (res.status !== 200) throw new DemoError(`the diff page answered ${res.status}`)
  return url
}

async function waitFor<T>(deadline: number, what: string, probe: () => Promise<T | null>): Promise<T> {
  for (;;) {
    const value = await probe()
    if (value !== null) return value
    if (Date.now() > deadline) throw new DemoError(`gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** `preferred` when it is free on 127.0.0.1, else one the system picks (0 asks for that at once). */
async function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | null>((resolve) => {
      const probe = createServer()
      probe.once('error', () => resolve(null))
      probe.listen(port, '127.0.0.1', () => {
        const got = (probe.address() as { port: number }).port
        probe.close(() => resolve(got))
      })
    })
  return (await tryPort(preferred)) ?? (await tryPort(0))!
}

/** What a person reads: the links, the build, the mail as Tamer rendered it. */
export function formatReport(r: DemoReport, o: { keepsRunning: boolean }): string {
  const b = r.build
  const tests = b.tests ? ` (${b.tests.failed} of ${b.tests.total} tests failed)` : ''
  const stage = b.failingStage ? ` at stage ${b.failingStage}` : ''
  const seconds = (ms: number | null) => (ms === null ? '' : ` in ${(ms / 1000).toFixed(1)} s`)
  const text = (r.mail.parsed.text ?? '').trimEnd()
  const indent = (s: string) =>
    s
      .split('\n')
      .map((l) => `    ${l}`.trimEnd())
      .join('\n')
  return [
    'Tamer demo: a notebook push, end to end, on this machine (SQLite, a local git server,',
    'the Jenkins emulator, a mail catcher). Nothing left 127.0.0.1.',
    '',
    `Tamer           ${r.url}/  (its landing page: version, hosts, the API)`,
    `Pushed          ${r.repository} main ${r.before.slice(0, 7)}..${r.after.slice(0, 7)} (${NOTEBOOK_PATH}),`,
    `                a signed GitHub push webhook; delivery ${r.deliveryId}`,
    '',
    'Notebook diff   (a signed link: opens without a token)',
    `  ${r.diffUrl}`,
    '',
    `Build           ${b.job} #${b.buildNumber ?? '?'}: ${b.result ?? b.state}${stage}${tests}${seconds(b.durationMs)}`,
    `  curl -s ${r.url}/api/builds/${b.id} -H 'Authorization: Bearer ${r.apiToken}'`,
    `  Jenkins: ${r.jenkinsBuildUrl}  (console: ${r.jenkinsBuildUrl}consoleText)`,
    '',
    `Mail            to ${r.mail.envelopeTo.join(', ')}`,
    `  Subject: ${r.mail.parsed.subject ?? ''}`,
    indent(text),
    '',
    `Ran in ${(r.elapsedMs / 1000).toFixed(1)} s. Data, log (${r.logFile}) and the sample repository`,
    `are in ${r.dir}, removed when the demo stops.`,
    o.keepsRunning
      ? 'Tamer keeps running so you can open the links: Ctrl-C stops it (--exit stops right after printing).'
      : 'Stopped (--exit).',
    '',
  ].join('\n')
}
