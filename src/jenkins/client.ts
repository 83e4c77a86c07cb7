// The only place that talks HTTP to Jenkins, through the `jenkins` npm client (silas/node-jenkins 1.1.0:
// https://github.com/silas/node-jenkins lib/jenkins.js, over papi). Its traps are handled here:
//  - with an API token no crumb is needed, so `crumbIssuer: false` (one request per POST, not two);
//  - a merged duplicate answers 303, which the client throws: read the Location instead;
//  - credentials go in an Authorization header, not the URL, so the client's Referer
//    header (which it builds from baseUrl) never carries them.
import { createRequire } from 'node:module'
import type { TestCounts } from '../store/builds.js'
import { CASES_TREE, COUNTS_TREE, countsOf, failuresOf } from './test-report.js'

export type JenkinsFailure =
  'unreachable' | 'timeout' | 'unauthorized' | 'forbidden' | 'not-found' | 'server' | 'rejected'

export class JenkinsCallError extends Error {
  readonly kind: JenkinsFailure
  readonly status: number | null
  readonly mayHaveArrived: boolean

  constructor(
    kind: JenkinsFailure,
    status: number | null,
    message: string,
    /**
     * Whether a POST that failed this way may still have been acted on: no answer at all
     * (timeout, connection reset) or a gateway's 502/503/504. Jenkins' own answers and a
     * connection that never opened mean it was not.
     */
    mayHaveArrived = false,
  ) {
    super(message)
    this.kind = kind
    this.status = status
    this.mayHaveArrived = mayHaveArrived
    this.name = 'JenkinsCallError'
  }
}

/** Connection errors that mean the request never left this machine. */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_INVALID_URL',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
])

export interface QueueItemInfo {
  id: number
  left: boolean
  cancelled: boolean
  buildNumber: number | null
  buildUrl: string | null
  params: Record<string, string>
}

export interface BuildInfo {
  number: number
  queueId: number | null
  /** epoch ms the build started (Jenkins' clock) */
  timestamp: number | null
  building: boolean
  result: string | null
  durationMs: number
  url: string | null
  params: Record<string, string>
}

export interface JenkinsApi {
  trigger(job: string, parameters: Record<string, string>): Promise<{ queueId: number; merged: boolean }>
  /** null: Jenkins no longer knows the item (left items are kept 5 minutes). */
  queueItem(id: number): Promise<QueueItemInfo | null>
  /** Items still in the queue for this job. */
  queuedFor(job: string): Promise<QueueItemInfo[]>
  /**
   * Every build of the job that started at or after `sinceMs` (Jenkins' clock), newest first,
   * however many: `allBuilds` is read page by page until a page reaches older builds (`builds`
   * stops at the newest 100: getNewBuilds in jenkinsci/jenkins core/src/main/java/hudson/model/Job.java).
   * [] when the job does not exist. `requests`: the HTTP requests it took.
   */
  buildsSince(job: string, sinceMs: number, pageSize?: number): Promise<{ builds: BuildInfo[]; requests: number }>
  build(job: string, number: number): Promise<BuildInfo>
  /**
   * The build's JUnit report (`testReport/api/json`, see ./test-report.ts): counts and the failed tests.
   * null when the build recorded none (Jenkins answers 404: a build without tests is normal).
   */
  testReport(job: string, number: number): Promise<TestCounts | null>
  logTail(job: string, number: number, lines: number): Promise<string>
  /** null when the item does not exist. */
  getConfig(job: string): Promise<string | null>
  createItem(job: string, xml: string): Promise<void>
  updateConfig(job: string, xml: string): Promise<void>
  /**
   * The build's pending `input` steps: `GET <build>/wfapi/pendingInputActions` (pipeline-stage-view-plugin,
   * PendingInputActionsExt: `[{id, message, proceedUrl, abortUrl, …}]`; [] when none is pending).
   */
  pendingInputs(job: string, number: number): Promise<{ id: string; message: string }[]>
  /**
   * Settles a pending input: `POST <build>/input/<ID>/proceedEmpty` or `…/abort` (pipeline-input-step-plugin
   * InputStepExecution). A user outside the step's `submitter` gets 400 with X-Error ('rejected').
   */
  settleInput(job: string, number: number, inputId: string, action: 'proceed' | 'abort'): Promise<void>
}

export interface JenkinsClientSettings {
  url: string
  user: string
  token: string
  /** a password needs a crumb before every POST; an API token does not */
  tokenIsPassword?: boolean
  timeoutMs?: number
  /** Told after each call with its name, `ok` or the failure's kind, and its time (for /metrics). */
  observe?: JenkinsObserver
  /** Masks the config's secrets in test names and error lines before they are cut to length (./test-report.ts). */
  mask?: (text: string) => string
}

export type JenkinsObserver = (op: string, outcome: string, seconds: number) => void

/* eslint-disable @typescript-eslint/no-explicit-any */
interface NpmJenkins {
  job: {
    build(opts: { name: string; parameters?: Record<string, string> }): Promise<number>
    get(opts: { name: string; tree?: string }): Promise<any>
    create(name: string, xml: string): Promise<void>
    config(name: string, xml?: string): Promise<string | undefined>
  }
  queue: { item(id: number): Promise<any>; list(opts?: { tree?: string }): Promise<any[]> }
  /** papi's request methods, which the client's own methods use (https://github.com/silas/node-papi). */
  _get(req: Record<string, unknown>, ...middleware: ((ctx: any, next: any) => void)[]): Promise<any>
  _post(req: Record<string, unknown>, ...middleware: ((ctx: any, next: any) => void)[]): Promise<any>
  build: {
    get(opts: { name: string; number: number; tree?: string }): Promise<any>
    log(opts: {
      name: string
      number: number
      start?: number
      meta?: boolean
    }): Promise<{ text: string; more: boolean; size: string }>
  }
}
const require = createRequire(import.meta.url)
type NpmJenkinsClient = new (opts: Record<string, unknown>) => NpmJenkins
/** The client's own `/job/a/job/b` path of a job (lib/utils.js), for the URLs it has no method for. */
type FolderPath = (name: string) => { path(): unknown }

function classify(err: unknown): JenkinsCallError {
  if (err instanceof JenkinsCallError) return err
  const e = err as {
    message?: string
    code?: string
    notFound?: boolean
    isTimeout?: boolean
    res?: { statusCode?: number }
  }
  // The client's 404 errors for jobs and builds carry `notFound` and no response.
  const status = e.res?.statusCode ?? (e.notFound ? 404 : null)
  // Messages are the client's ("jenkins: job.build: not found"), never the URL or credentials.
  const message = (e.message ?? String(err)).slice(0, 300)
  if (status === null) {
    if (e.isTimeout || /timeout|timed out/i.test(message) || e.code === 'ETIMEDOUT')
      return new JenkinsCallError('timeout', null, message, true)
    return new JenkinsCallError('unreachable', null, message, !NEVER_SENT.has(e.code ?? ''))
  }
  if (status === 401) return new JenkinsCallError('unauthorized', status, message)
  if (status === 403) return new JenkinsCallError('forbidden', status, message)
  if (status === 404) return new JenkinsCallError('not-found', status, message)
  if (status >= 500)
    return new JenkinsCallError('server', status, message, status === 502 || status === 503 || status === 504)
  return new JenkinsCallError('rejected', status, message)
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw classify(err)
  }
}

function paramsOf(actions: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  for (const a of Array.isArray(actions) ? actions : []) {
    const list = (a as { parameters?: { name?: string; value?: unknown }[] } | null)?.parameters
    if (Array.isArray(list)) for (const p of list) if (typeof p.name === 'string') out[p.name] = String(p.value ?? '')
  }
  return out
}

function buildInfo(b: any): BuildInfo {
  return {
    number: Number(b.number),
    queueId: typeof b.queueId === 'number' ? b.queueId : null,
    timestamp: typeof b.timestamp === 'number' ? b.timestamp : null,
    // A Pipeline can set `result` while still running: only `building` says it is over
    // (jenkinsci/workflow-job-plugin src/main/java/org/jenkinsci/plugins/workflow/job/WorkflowRun.java, isBuilding).
    building: b.building !== false,
    result: typeof b.result === 'string' ? b.result : null,
    durationMs: typeof b.duration === 'number' ? b.duration : 0,
    url: typeof b.url === 'string' ? b.url : null,
    params: paramsOf(b.actions),
  }
}

function queueInfo(i: any): QueueItemInfo {
  const left = typeof i._class === 'string' ? i._class.endsWith('$LeftItem') : 'executable' in i
  return {
    id: Number(i.id),
    left,
    cancelled: i.cancelled === true,
    // A LeftItem can show executable: null for a moment: the executor records it before it creates
    // the build (jenkinsci/jenkins core/src/main/java/hudson/model/Executor.java, run).
    buildNumber: typeof i.executable?.number === 'number' ? i.executable.number : null,
    buildUrl: typeof i.executable?.url === 'string' ? i.executable.url : null,
    params: paramsOf(i.actions),
  }
}

/** `/job/a/job/b/` → `a/b` */
function jobNameFromUrl(url: string): string {
  const parts = new URL(url, 'http://x').pathname.split('/').filter(Boolean)
  const names: string[] = []
  for (let i = 0; i < parts.length - 1; i++) if (parts[i] === 'job') names.push(decodeURIComponent(parts[++i]!))
  return names.join('/')
}

/** The client of jenkins.* (null without a URL: builds are routed and recorded, not triggered). */
export function jenkinsApiFromConfig(
  j: {
    url: string | null
    user: string
    token: string
    tokenIsPassword: boolean
    requestTimeoutMs: number
  },
  o: Pick<JenkinsClientSettings, 'observe' | 'mask'> = {},
): JenkinsApi | null {
  if (!j.url) return null
  return createJenkinsApi({
    ...o,
    url: j.url,
    user: j.user,
    token: j.token,
    tokenIsPassword: j.tokenIsPassword,
    timeoutMs: j.requestTimeoutMs,
  })
}

export function createJenkinsApi(s: JenkinsClientSettings): JenkinsApi {
  const baseUrl = s.url.replace(/\/+$/, '')
  const headers: Record<string, string> = {}
  if (s.user) headers.authorization = `Basic ${Buffer.from(`${s.user}:${s.token}`).toString('base64')}`
  // Required here, when Jenkins is configured, not with every process that composes the pipeline.
  const NpmJenkinsClient = require('jenkins') as NpmJenkinsClient
  const { folderPath } = require('jenkins/lib/utils') as { folderPath: FolderPath }
  const j = new NpmJenkinsClient({
    baseUrl,
    headers,
    crumbIssuer: s.tokenIsPassword === true,
    timeout: s.timeoutMs ?? 10_000,
  })
  const BUILD_TREE = 'number,queueId,timestamp,building,result,duration,url,actions[parameters[name,value]]'
  const SEARCH_TREE = 'number,queueId,timestamp,building,result,url,actions[parameters[name,value]]'

  // A build's URL the npm client has no method for, over its own request method (papi): the same
  // credentials, crumb (with its session cookie), time limit and errors as every other call.
  type Req = { name: string; path: string; params?: Record<string, unknown>; query?: Record<string, string> }
  const bodyOf = (ctx: { err?: Error; res?: { body?: unknown } }, next: (err: unknown, value?: unknown) => void) =>
    ctx.err ? next(ctx.err) : next(false, ctx.res?.body)
  const ofBuild = (method: '_get' | '_post', job: string, number: number, r: Req): Promise<unknown> =>
    call(() =>
      j[method](
        { ...r, path: `{folder}/{number}${r.path}`, params: { folder: folderPath(job).path(), number, ...r.params } },
        bodyOf,
      ),
    )

  const api: JenkinsApi = {
    async pendingInputs(job, number) {
      const list = await ofBuild('_get', job, number, {
        name: 'build.pendingInputs',
        path: '/wfapi/pendingInputActions',
      })
      return (Array.isArray(list) ? list : [])
        .filter((i): i is { id: string; message?: unknown } => typeof i?.id === 'string')
        .map((i) => ({ id: i.id, message: typeof i.message === 'string' ? i.message : '' }))
    },
    async settleInput(job, number, inputId, action) {
      await ofBuild('_post', job, number, {
        name: 'build.settleInput',
        path: '/input/{id}/{action}',
        params: { id: inputId, action: action === 'proceed' ? 'proceedEmpty' : 'abort' },
      })
    },
    async trigger(job, parameters) {
      try {
        return { queueId: await j.job.build({ name: job, parameters }), merged: false }
      } catch (err) {
        // 303 See Other (Jenkins 2.308 and later): the request was folded into an identical queued one
        // (jenkinsci/jenkins core/src/main/java/hudson/model/ParametersDefinitionProperty.java).
        const e = err as { res?: { statusCode?: number; headers?: Record<string, unknown> } }
        const location = e.res?.statusCode === 303 ? String(e.res.headers?.location ?? '') : ''
        const m = /\/queue\/item\/(\d+)\/?$/.exec(location)
        if (m) return { queueId: Number(m[1]), merged: true }
        throw classify(err)
      }
    },
    async queueItem(id) {
      try {
        return queueInfo(await j.queue.item(id))
      } catch (err) {
        const c = classify(err)
        if (c.kind === 'not-found') return null
        throw c
      }
    },
    async queuedFor(job) {
      const items = await call(() => j.queue.list({ tree: 'items[id,actions[parameters[name,value]],task[url]]' }))
      return items.filter((i) => typeof i?.task?.url === 'string' && jobNameFromUrl(i.task.url) === job).map(queueInfo)
    },
    async buildsSince(job, sinceMs, pageSize = 100) {
      const found: BuildInfo[] = []
      const seen = new Set<number>()
      for (let from = 0, requests = 1; ; from += pageSize, requests++) {
        let page: BuildInfo[]
        try {
          const body = await j.job.get({ name: job, tree: `allBuilds[${SEARCH_TREE}]{${from},${from + pageSize}}` })
          page = (Array.isArray(body?.allBuilds) ? body.allBuilds : []).map(buildInfo)
        } catch (err) {
          const c = classify(err)
          if (c.kind === 'not-found') return { builds: found, requests }
          throw c
        }
        // Builds are numbered and stamped when they start, so newest first is also latest start first.
        for (const b of page)
          if ((b.timestamp === null || b.timestamp >= sinceMs) && !seen.has(b.number)) {
            seen.add(b.number)
            found.push(b)
          }
        const oldest = page.at(-1)
        // A build starting between two pages shifts the rest by one: seen twice, never missed.
        if (page.length < pageSize || (oldest?.timestamp ?? Infinity) < sinceMs) return { builds: found, requests }
      }
    },
    async build(job, number) {
      return buildInfo(await call(() => j.build.get({ name: job, number, tree: BUILD_TREE })))
    },
    async testReport(job, number) {
      const report = (tree: string) =>
        ofBuild('_get', job, number, { name: 'build.testReport', path: '/testReport/api/json', query: { tree } })
      let counts: TestCounts
      try {
        counts = countsOf(await report(COUNTS_TREE))
      } catch (err) {
        if (err instanceof JenkinsCallError && err.kind === 'not-found') return null
        throw err
      }
      if (counts.failed === 0) return { ...counts, failures: [] }
      return { ...counts, failures: failuresOf(await report(CASES_TREE), s.mask) }
    },
    async logTail(job, number, lines) {
      const log = await call(() => j.build.log({ name: job, number, start: 0, meta: true }))
      const all = log.text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n')
      return all.slice(-lines).join('\n')
    },
    async getConfig(job) {
      try {
        return (await j.job.config(job)) ?? null
      } catch (err) {
        const c = classify(err)
        if (c.kind === 'not-found') return null
        throw c
      }
    },
    async createItem(job, xml) {
      await call(() => j.job.create(job, xml))
    },
    async updateConfig(job, xml) {
      await call(() => j.job.config(job, xml))
    },
  }
  return s.observe ? observed(api, s.observe) : api
}

/** The same calls, each timed and told to `observe` with its outcome. */
function observed(api: JenkinsApi, observe: JenkinsObserver): JenkinsApi {
  const out = {} as Record<string, unknown>
  for (const [op, fn] of Object.entries(api) as [string, (...a: unknown[]) => Promise<unknown>][])
    out[op] = async (...args: unknown[]) => {
      const started = performance.now()
      try {
        const r = await fn(...args)
        observe(op, 'ok', (performance.now() - started) / 1000)
        return r
      } catch (err) {
        observe(op, err instanceof JenkinsCallError ? err.kind : 'error', (performance.now() - started) / 1000)
        throw err
      }
    }
  return out as unknown as JenkinsApi
}
