// startJenkinsEmulator: a protocol-faithful stand-in for a Jenkins LTS with the Pipeline plugins,
// following the sources of jenkinsci/jenkins, jenkinsci/stapler and jenkinsci/workflow-job-plugin and
// the recorded answers in ../shared/corpus/jenkins/. The request
// pipeline mirrors Jenkins' filter order: authentication (401) → Overall/Read
// → crumb filter (403) → Stapler dispatch (404) → permission checks.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { Auth, NO_VALID_CRUMB, PERMISSION_ID, type Permission } from './auth.js'
import { paramsRecord } from './builds.js'
import { ManualClock, type EmulatorClock } from './clock.js'
import { createControl, type EmulatorControl } from './control.js'
import { readBody, send, sendJettyError, sendJson, sendOops, type Ctx, type HeaderInfo } from './http.js'
import { newRoot } from './jobs.js'
import { fullName } from './paths.js'
import { JenkinsQueue } from './queue.js'
import { route } from './routes.js'
import { applyTree, parseTree } from './tree.js'
import type { BuildScenario, Item, ParamValue } from './types.js'
import type { EmulatorCore, JenkinsEmulatorOptions, RecordedRequest, ResolvedOptions } from './core.js'

export type { JenkinsEmulatorOptions, RecordedRequest } from './core.js'

export interface EmulatorState {
  readonly root: Item
  readonly queue: JenkinsQueue
  readonly auth: Auth
  readonly requests: RecordedRequest[]
  now(): number
  item(fullName: string): Item | undefined
}

export interface JenkinsEmulator {
  url: string
  close(): Promise<void>
  state: EmulatorState
  control: EmulatorControl
}

export const DEFAULT_USER = {
  id: 'tamer',
  fullName: 'Tamer Bot',
  apiToken: 'tamer-api-token',
  password: 'tamer-password',
}

export class Emulator implements EmulatorState, EmulatorCore {
  readonly opts: ResolvedOptions
  readonly clock: EmulatorClock
  readonly auth: Auth
  root = newRoot()
  queue: JenkinsQueue
  readonly requests: RecordedRequest[] = []
  readonly headerInfo: HeaderInfo
  readonly server: Server
  port = 0
  slowMs = 0
  /** called as each request arrives, before it is handled (control.onRequest) */
  requestListener: ((r: RecordedRequest) => void) | null = null
  /** called as each response is finished (control.onResponse) */
  responseListener: ((r: RecordedRequest) => void) | null = null
  failures: { remaining: number; status: number; path?: RegExp } = { remaining: 0, status: 500 }

  constructor(o: JenkinsEmulatorOptions) {
    this.clock = o.clock ?? new ManualClock()
    this.opts = {
      quietPeriodSec: o.quietPeriodSec ?? 5,
      buildableMs: o.buildableMs ?? 100,
      executableGapMs: o.executableGapMs ?? 50,
      leftItemTtlMs: o.leftItemTtlMs ?? 5 * 60 * 1000,
      executors: o.executors ?? Number.POSITIVE_INFINITY,
      defaultScenario: o.defaultScenario ?? {},
      version: o.version ?? '2.528.3',
      legacyNotParameterized500: o.legacyNotParameterized500 ?? false,
    }
    this.auth = new Auth(o.users ?? [DEFAULT_USER], o.anonymousPermissions ?? [])
    this.auth.crumbIssuerEnabled = o.csrf ?? true
    this.headerInfo = { version: this.opts.version, sessionHeader: randomBytes(4).toString('hex') }
    this.queue = this.newQueue()
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(err))
      })
    })
  }

  newQueue(): JenkinsQueue {
    return new JenkinsQueue(
      {
        buildableMs: this.opts.buildableMs,
        executableGapMs: this.opts.executableGapMs,
        leftItemTtlMs: this.opts.leftItemTtlMs,
        executors: this.opts.executors,
      },
      (job, number, params) => this.scenarioFor(job, number, params),
      this.clock.now(),
    )
  }

  now(): number {
    const t = this.clock.now()
    this.queue.runUntil(t)
    return t
  }

  item(name: string): Item | undefined {
    let it: Item | undefined = this.root
    for (const part of name.split('/').filter(Boolean)) it = it?.children.get(part)
    return it === this.root ? undefined : it
  }

  scenarioFor(job: Item, number: number, params: ParamValue[] | null): BuildScenario {
    const src = job.scenario ?? this.opts.defaultScenario
    return typeof src === 'function' ? src({ job: fullName(job), number, params: paramsRecord(params) }) : src
  }

  removeItem(item: Item): void {
    this.queue.dropJob(item, this.now())
    item.parent?.children.delete(item.name)
  }

  setDisabled(item: Item, disabled: boolean): void {
    item.def.disabled = disabled
    const tag = `<disabled>${disabled}</disabled>`
    item.configXml = /<disabled>[^<]*<\/disabled>/.test(item.configXml)
      ? item.configXml.replace(/<disabled>[^<]*<\/disabled>/, tag)
      : item.configXml.replace(/<\/flow-definition>\s*$/, `  ${tag}\n</flow-definition>\n`)
  }

  json(ctx: Ctx, value: unknown, headers: Record<string, string> = {}): void {
    const tree = ctx.query.get('tree')
    if (tree === null) return sendJson(ctx, this.headerInfo, value, headers)
    let spec
    try {
      spec = parseTree(tree)
    } catch (err) {
      return sendJettyError(ctx, this.headerInfo, 400, `Failed to parse tree: ${(err as Error).message}`)
    }
    sendJson(ctx, this.headerInfo, applyTree(value, spec), headers)
  }

  oops(ctx: Ctx, exception: string): void {
    sendOops(ctx, this.headerInfo, exception)
  }

  methodNotAllowed(ctx: Ctx): void {
    sendJettyError(ctx, this.headerInfo, 405, 'This URL requires POST', { Allow: 'POST' })
  }

  requirePost(ctx: Ctx): boolean {
    if (ctx.method === 'POST') return true
    this.methodNotAllowed(ctx)
    return false
  }

  /** AccessDeniedException3 / HudsonAuthenticationEntryPoint (jenkinsci/jenkins core hudson/security/). */
  denied(ctx: Ctx, perm: Permission, message?: string): void {
    const headers = {
      'X-You-Are-Authenticated-As': ctx.user?.id ?? 'anonymous',
      'X-You-Are-In-Group-Disabled':
        'JENKINS-39402: use -Dhudson.security.AccessDeniedException2.REPORT_GROUP_HEADERS=true or use /whoAmI to diagnose',
      'X-Required-Permission': PERMISSION_ID[perm],
      'X-Permission-Implied-By': 'hudson.model.Hudson.Administer',
      'Content-Type': 'text/html;charset=UTF-8',
    }
    if (!ctx.user) {
      const from = encodeURIComponent(ctx.rawPath)
      const html = `<html><head><meta http-equiv='refresh' content='1;url=/login?from=${from}'/><script id='redirect' data-redirect-url='/login?from=${from}' src='/static/0/scripts/redirect.js'></script></head><body style='background-color:white; color:white;'>\nAuthentication required\n<!--\n${message ?? ''}\n-->\n</body></html>`
      return send(ctx, this.headerInfo, 403, html, headers)
    }
    const text = message ?? `${ctx.user.id} is missing the ${perm} permission`
    send(
      ctx,
      this.headerInfo,
      403,
      `<!DOCTYPE html><html><head><title>Access Denied [Jenkins]</title></head><body><h1>Access Denied</h1><p>${text}</p></body></html>`,
      headers,
    )
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: '',
    }
    this.requests.push(record)
    res.on('finish', () => {
      record.status = res.statusCode
      this.responseListener?.(record)
    })
    const body = await readBody(req)
    record.body = body.toString('utf8')
    this.requestListener?.(record)
    if (this.slowMs > 0) await new Promise((r) => setTimeout(r, this.slowMs))
    const url = new URL(req.url ?? '/', 'http://localhost')
    const params = new URLSearchParams(url.searchParams)
    if (/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
      for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v)
    }
    const ctx: Ctx = {
      req,
      res,
      method: record.method,
      segments: url.pathname.split('/').filter(Boolean).map(decodeURIComponent),
      rawPath: url.pathname,
      params,
      query: url.searchParams,
      body,
      root: `http://${req.headers.host ?? `127.0.0.1:${this.port}`}`,
      user: null,
      viaApiToken: false,
    }
    try {
      if (this.failures.remaining > 0 && (this.failures.path?.test(url.pathname) ?? true)) {
        this.failures.remaining--
        if (this.failures.status === 500) return this.oops(ctx, 'java.lang.RuntimeException: emulated failure')
        return sendJettyError(ctx, this.headerInfo, this.failures.status, 'emulated failure')
      }
      const auth = this.auth.authenticate(req)
      if (auth.kind === 'fail') {
        return sendJettyError(ctx, this.headerInfo, 401, auth.message, { 'WWW-Authenticate': 'Basic realm="Jenkins"' })
      }
      if (auth.kind === 'user') {
        ctx.user = auth.user
        ctx.viaApiToken = auth.viaApiToken
      }
      // CrumbFilter: POST only; API-token requests are exempt (ApiCrumbExclusion, 2.96+).
      if (ctx.method === 'POST' && this.auth.crumbIssuerEnabled && !ctx.viaApiToken) {
        if (!this.auth.validCrumb(req, params, ctx.user?.id ?? 'anonymous')) {
          return sendJettyError(ctx, this.headerInfo, 403, NO_VALID_CRUMB)
        }
      }
      // Jenkins.getTarget(): Overall/Read, checked by Stapler after the filters.
      if (!this.auth.has(ctx.user?.id ?? null, 'Overall/Read') && ctx.segments[0] !== 'login')
        return this.denied(ctx, 'Overall/Read')
      this.now()
      route(this, ctx)
    } catch (err) {
      if (!res.headersSent) this.oops(ctx, (err as Error).stack ?? String(err))
    }
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject)
        this.port = (this.server.address() as AddressInfo).port
        resolve()
      })
    })
  }

  stopListening(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve()
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }
}

export async function startJenkinsEmulator(opts: JenkinsEmulatorOptions = {}): Promise<JenkinsEmulator> {
  const emu = new Emulator(opts)
  await emu.listen(0)
  const url = `http://127.0.0.1:${emu.port}`
  return {
    url,
    close: () => emu.stopListening(),
    state: emu,
    control: createControl(emu),
  }
}
