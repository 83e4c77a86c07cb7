// URL dispatch (unknown URL segments are 404, as jenkinsci/stapler answers when a getter returns null):
// root, crumb issuer, queue, items (folders nest as /job/a/job/b/), builds.
import { buildJson, endBuild, isBuilding, logText } from './builds.js'
import { CRUMB_FIELD } from './auth.js'
import { abort, canSubmit, pendingInput, pendingInputActionsJson, proceed } from './input.js'
import { checkGoodName, createItem, findBuild, folderJson, jobJson, updateConfig } from './jobs.js'
import { itemUrl } from './paths.js'
import { redirect, send, sendEmpty, sendFailure, sendJettyError, sendNotFound, sendText, type Ctx } from './http.js'
import type { EmulatorCore as Emulator } from './core.js'
import { build, buildWithParameters } from './trigger.js'
import { parseTree } from './tree.js'
import type { Build, Item } from './types.js'
import { reportOf, testReportJson } from './test-report.js'

/** Whether `?tree=` names this top-level property (a malformed tree is answered 400 later). */
function namesTopLevel(tree: string | null, key: string): boolean {
  if (tree === null) return false
  try {
    return parseTree(tree).has(key)
  } catch {
    return false
  }
}

const isApiJson = (rest: string[]) => rest.length === 2 && rest[0] === 'api' && rest[1] === 'json'

export function route(emu: Emulator, ctx: Ctx): void {
  const s = ctx.segments
  const head = s[0]
  if (s.length === 0 || isApiJson(s)) return emu.json(ctx, folderJson(emu.root, emu.now(), ctx.root))
  if (head === 'crumbIssuer') return crumbIssuer(emu, ctx, s.slice(1))
  if (head === 'queue') return queueRoutes(emu, ctx, s.slice(1))
  if (head === 'createItem' && s.length === 1) return doCreateItem(emu, ctx, emu.root)
  if (head === 'job') return itemRoutes(emu, ctx)
  sendNotFound(ctx, emu.headerInfo)
}

function crumbIssuer(emu: Emulator, ctx: Ctx, rest: string[]): void {
  // Jenkins.getCrumbIssuer() is null with CSRF protection disabled → 404.
  if (!emu.auth.crumbIssuerEnabled || rest[0] !== 'api' || rest.length !== 2) return sendNotFound(ctx, emu.headerInfo)
  const userId = ctx.user?.id ?? 'anonymous'
  let session = emu.auth.sessionFrom(ctx.req)
  const headers: Record<string, string> = {}
  if (!session) {
    session = emu.auth.newSession(userId)
    headers['Set-Cookie'] = `${emu.auth.cookieName}=${session}; Path=/; HttpOnly`
  }
  const crumb = emu.auth.crumb(userId, session)
  if (rest[1] === 'json') {
    return emu.json(
      ctx,
      { _class: 'hudson.security.csrf.DefaultCrumbIssuer', crumb, crumbRequestField: CRUMB_FIELD },
      headers,
    )
  }
  if (rest[1] === 'xml') {
    const xpath = ctx.query.get('xpath')
    if (xpath === null) {
      return send(
        ctx,
        emu.headerInfo,
        200,
        `<defaultCrumbIssuer _class="hudson.security.csrf.DefaultCrumbIssuer"><crumb>${crumb}</crumb><crumbRequestField>${CRUMB_FIELD}</crumbRequestField></defaultCrumbIssuer>`,
        {
          'Content-Type': 'application/xml;charset=UTF-8',
          ...headers,
        },
      )
    }
    if (xpath.replace(/\s/g, '') === 'concat(//crumbRequestField,":",//crumb)') {
      return sendText(ctx, emu.headerInfo, 200, `${CRUMB_FIELD}:${crumb}`, headers)
    }
    return sendJettyError(ctx, emu.headerInfo, 403, 'Only concat(//crumbRequestField,":",//crumb) is supported')
  }
  sendNotFound(ctx, emu.headerInfo)
}

function queueRoutes(emu: Emulator, ctx: Ctx, rest: string[]): void {
  const now = emu.now()
  if (isApiJson(rest)) {
    const items = emu.queue
      .active(now)
      .filter(() => emu.auth.has(ctx.user?.id ?? null, 'Job/Read'))
      .map((i) => emu.queue.itemJson(i, now, ctx.root))
    return emu.json(ctx, { _class: 'hudson.model.Queue', discoverableItems: [], items })
  }
  if (rest[0] === 'cancelItem' && rest.length === 1) {
    if (!emu.requirePost(ctx)) return
    const raw = ctx.params.get('id') ?? ''
    const id = Number(raw)
    const item = emu.queue.get(id, now)
    if (!item || item.state === 'left')
      return sendJettyError(ctx, emu.headerInfo, 404, `Provided id (${raw}) not found`)
    if (!emu.auth.has(ctx.user?.id ?? null, 'Job/Cancel'))
      return sendJettyError(ctx, emu.headerInfo, 422, `Item for id (${raw}) is not cancellable`)
    emu.queue.cancel(id, now)
    return sendEmpty(ctx, emu.headerInfo, 204)
  }
  if (rest[0] === 'item' && rest[1] !== undefined && /^\d+$/.test(rest[1])) {
    const item = emu.queue.get(Number(rest[1]), now)
    if (!item || !emu.auth.has(ctx.user?.id ?? null, 'Job/Read')) return sendNotFound(ctx, emu.headerInfo)
    const tail = rest.slice(2)
    if (tail.length === 0) {
      return sendText(
        ctx,
        emu.headerInfo,
        200,
        `Queue item exists. For details check, for example, ${ctx.req.url?.split('?')[0]?.replace(/\/?$/, '/')}api/json?tree=cancelled,executable[url]`,
      )
    }
    if (isApiJson(tail)) return emu.json(ctx, emu.queue.itemJson(item, now, ctx.root))
    if (tail.length === 1 && tail[0] === 'cancelQueue') {
      if (!emu.requirePost(ctx)) return
      // Since 2.211: 204 whether or not there was anything left to cancel.
      if (emu.auth.has(ctx.user?.id ?? null, 'Job/Cancel')) emu.queue.cancel(item.id, now)
      return sendEmpty(ctx, emu.headerInfo, 204)
    }
  }
  sendNotFound(ctx, emu.headerInfo)
}

function doCreateItem(emu: Emulator, ctx: Ctx, parent: Item): void {
  if (!emu.requirePost(ctx)) return
  if (!emu.auth.has(ctx.user?.id ?? null, 'Job/Create')) return emu.denied(ctx, 'Job/Create')
  const name = ctx.query.get('name')
  const mode = ctx.query.get('mode')
  const contentType = ctx.req.headers['content-type']
  if (!contentType && mode === null) return sendFailure(ctx, emu.headerInfo, 'No Content-Type header set')
  const bad = checkGoodName(name)
  if (bad || name === null) return sendFailure(ctx, emu.headerInfo, bad ?? 'No name is specified')
  if (parent.children.has(name)) return sendFailure(ctx, emu.headerInfo, `A job already exists with the name ‘${name}’`)
  if (mode === 'copy') {
    const from = parent.children.get(ctx.query.get('from') ?? '')
    if (!from) return sendFailure(ctx, emu.headerInfo, `No such job: ${ctx.query.get('from') ?? ''}`)
    createItem(parent, name, from.configXml)
    return redirect(ctx, emu.headerInfo, 302, `${itemUrl(ctx.root, parent.children.get(name) as Item)}configure`)
  }
  if (!/^(application|text)\/xml/i.test(contentType ?? '')) return sendFailure(ctx, emu.headerInfo, 'No mode given')
  try {
    createItem(parent, name, ctx.body.toString('utf8'))
  } catch (err) {
    return emu.oops(ctx, `java.io.IOException: Unable to read: ${(err as Error).message}`)
  }
  sendEmpty(ctx, emu.headerInfo, 200)
}

function configXml(emu: Emulator, ctx: Ctx, item: Item): void {
  const who = ctx.user?.id ?? null
  if (ctx.method === 'GET' || ctx.method === 'HEAD') {
    if (!emu.auth.has(who, 'Job/ExtendedRead')) return emu.denied(ctx, 'Job/ExtendedRead')
    // Stored bytes are returned as posted, as Jenkins did before 2.568 (which re-serialises them): do not
    // compare bytes in tests.
    return send(ctx, emu.headerInfo, 200, item.configXml, { 'Content-Type': 'application/xml' })
  }
  if (ctx.method !== 'POST') return sendJettyError(ctx, emu.headerInfo, 400, 'Bad Request')
  if (!emu.auth.has(who, 'Job/Configure')) return emu.denied(ctx, 'Job/Configure')
  try {
    updateConfig(item, ctx.body.toString('utf8'))
  } catch (err) {
    return emu.oops(ctx, `java.io.IOException: Failed to process config.xml: ${(err as Error).message}`)
  }
  sendEmpty(ctx, emu.headerInfo, 200)
}

function resolveItem(emu: Emulator, ctx: Ctx): { item: Item; rest: string[] } | undefined {
  const s = ctx.segments
  let item = emu.root
  let i = 0
  while (s[i] === 'job' && s[i + 1] !== undefined) {
    const next = item.children.get(s[i + 1] as string)
    if (!next) return undefined
    item = next
    i += 2
  }
  return { item, rest: s.slice(i) }
}

function itemRoutes(emu: Emulator, ctx: Ctx): void {
  const found = resolveItem(emu, ctx)
  const who = ctx.user?.id ?? null
  if (!found) return sendNotFound(ctx, emu.headerInfo)
  if (!emu.auth.has(who, 'Job/Read')) {
    // Discover without Read → 403; neither → the job is hidden (404).
    if (emu.auth.has(who, 'Job/Discover'))
      return emu.denied(ctx, 'Job/Read', `Please login to access job ${found.item.name}`)
    return sendNotFound(ctx, emu.headerInfo)
  }
  const { item, rest } = found
  const now = emu.now()
  if (rest.length === 1 && rest[0] === 'config.xml') return configXml(emu, ctx, item)
  if (rest.length === 1 && rest[0] === 'doDelete') {
    if (!emu.requirePost(ctx)) return
    if (!emu.auth.has(who, 'Job/Delete')) return emu.denied(ctx, 'Job/Delete')
    emu.removeItem(item)
    return redirect(ctx, emu.headerInfo, 302, item.parent?.parent ? itemUrl(ctx.root, item.parent) : `${ctx.root}/`)
  }
  if (item.def.kind === 'folder') {
    if (rest.length === 0 || isApiJson(rest)) return emu.json(ctx, folderJson(item, now, ctx.root))
    if (rest.length === 1 && rest[0] === 'createItem') return doCreateItem(emu, ctx, item)
    return sendNotFound(ctx, emu.headerInfo)
  }
  if (isApiJson(rest)) {
    const tree = ctx.query.get('tree')
    const deep = tree !== null || Number(ctx.query.get('depth') ?? '0') > 0
    return emu.json(ctx, jobJson(item, now, ctx.root, emu.queue, deep, namesTopLevel(tree, 'allBuilds')))
  }
  if (rest.length === 0)
    return send(ctx, emu.headerInfo, 200, `<!DOCTYPE html><html><body><h1>${item.name}</h1></body></html>`, {
      'Content-Type': 'text/html;charset=UTF-8',
    })
  if (rest.length === 1 && rest[0] === 'build') return build(emu, ctx, item)
  if (rest.length === 1 && rest[0] === 'buildWithParameters') return buildWithParameters(emu, ctx, item)
  if (rest.length === 1 && (rest[0] === 'enable' || rest[0] === 'disable')) {
    if (!emu.requirePost(ctx)) return
    if (!emu.auth.has(who, 'Job/Configure')) return emu.denied(ctx, 'Job/Configure')
    emu.setDisabled(item, rest[0] === 'disable')
    return redirect(ctx, emu.headerInfo, 302, itemUrl(ctx.root, item))
  }
  const b = rest[0] !== undefined ? findBuild(item, rest[0], now) : undefined
  if (!b) return sendNotFound(ctx, emu.headerInfo)
  buildRoutes(emu, ctx, b, rest.slice(1))
}

function buildRoutes(emu: Emulator, ctx: Ctx, b: Build, rest: string[]): void {
  const now = emu.now()
  if (isApiJson(rest)) return emu.json(ctx, buildJson(b, now, ctx.root))
  if (rest.length === 0)
    return send(ctx, emu.headerInfo, 200, `<!DOCTYPE html><html><body><h1>#${b.number}</h1></body></html>`, {
      'Content-Type': 'text/html;charset=UTF-8',
    })
  if (rest.length === 2 && rest[0] === 'wfapi' && rest[1] === 'pendingInputActions')
    return emu.json(ctx, pendingInputActionsJson(b, now, ctx.root))
  if (rest[0] === 'input' && rest.length === 3) return inputRoutes(emu, ctx, b, rest[1]!, rest[2]!)
  if (rest.length === 1 && rest[0] === 'consoleText') return sendText(ctx, emu.headerInfo, 200, logText(b, now))
  // The junit step's report: only once recorded (here: when the build has ended), else not a URL (404).
  if (rest[0] === 'testReport' && b.tests && !isBuilding(b, now)) {
    if (isApiJson(rest.slice(1))) return emu.json(ctx, testReportJson(reportOf(b.tests), b.endAt))
    if (rest.length === 1)
      return send(ctx, emu.headerInfo, 200, '<!DOCTYPE html><html><body><h1>Test Result</h1></body></html>', {
        'Content-Type': 'text/html;charset=UTF-8',
      })
  }
  if (rest.length === 1 && (rest[0] === 'buildNumber' || rest[0] === 'buildTimestamp')) {
    return sendText(
      ctx,
      emu.headerInfo,
      200,
      rest[0] === 'buildNumber' ? String(b.number) : new Date(b.startedAt).toISOString(),
    )
  }
  if (rest.length === 2 && rest[0] === 'logText' && rest[1] === 'progressiveText')
    return progressiveText(emu, ctx, b, now)
  if (rest.length === 1 && (rest[0] === 'stop' || rest[0] === 'term' || rest[0] === 'kill')) {
    if (!emu.requirePost(ctx)) return
    if (!emu.auth.has(ctx.user?.id ?? null, 'Job/Cancel')) return emu.denied(ctx, 'Job/Cancel')
    endBuild(b, now, 'ABORTED', `Aborted by ${ctx.user?.fullName ?? 'anonymous'}`)
    // forwardToPreviousPage: back to the Referer, else "." — running or not.
    return redirect(ctx, emu.headerInfo, 302, ctx.req.headers.referer ?? '.')
  }
  sendNotFound(ctx, emu.headerInfo)
}

/**
 * `<build>/input/<ID>/proceedEmpty|abort` (InputAction.getDynamic → InputStepExecution, @RequirePOST):
 * an id not pending is 404 (getDynamic answers null); a user who may not settle it gets hudson.model.Failure,
 * 400 with X-Error, never 403. See input-facts.md.
 */
function inputRoutes(emu: Emulator, ctx: Ctx, b: Build, id: string, action: string): void {
  const i = pendingInput(b, emu.now())
  if (!i || i.id !== id || (action !== 'proceedEmpty' && action !== 'abort')) return sendNotFound(ctx, emu.headerInfo)
  if (!emu.requirePost(ctx)) return
  const who = ctx.user?.id ?? null
  const submitter = canSubmit(i, who, emu.auth.has(who, 'Job/Build'))
  const by = ctx.user ?? { id: 'anonymous', fullName: 'anonymous' }
  if (action === 'proceedEmpty') {
    if (!submitter)
      return sendFailure(
        ctx,
        emu.headerInfo,
        i.submitter !== null
          ? `You need to be ${i.submitter} to submit this.`
          : 'You need to have Job/Build permissions to submit this.',
      )
    proceed(b, emu.now(), by)
    return sendEmpty(ctx, emu.headerInfo, 200)
  }
  if (!submitter && !emu.auth.has(who, 'Job/Cancel'))
    return sendFailure(
      ctx,
      emu.headerInfo,
      i.submitter !== null
        ? `You need to be '${i.submitter}' (or have Job/Cancel permissions) to cancel this.`
        : 'You need to have Job/Cancel permissions to cancel this.',
    )
  abort(b, emu.now(), by)
  sendEmpty(ctx, emu.headerInfo, 200)
}

/**
 * LargeText.doProgressText (jenkinsci/stapler core/src/main/java/org/kohsuke/stapler/framework/io/LargeText.java):
 * raw byte offsets, CRLF output, X-More-Data only while growing.
 */
function progressiveText(emu: Emulator, ctx: Ctx, b: Build, now: number): void {
  const raw = Buffer.from(logText(b, now), 'utf8')
  let start = Number(ctx.params.get('start') ?? '0')
  if (!Number.isFinite(start) || start < 0) start = 0
  if (start > raw.length) start = 0
  const chunk = raw.subarray(start).toString('utf8').replace(/\r?\n/g, '\r\n')
  const headers: Record<string, string> = { 'X-Text-Size': String(raw.length) }
  if (isBuilding(b, now)) headers['X-More-Data'] = 'true'
  sendText(ctx, emu.headerInfo, 200, chunk, headers)
}
