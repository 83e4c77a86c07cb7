// POST /job/NAME/build and /buildWithParameters (jenkinsci/jenkins core: jenkins/model/ParameterizedJobMixIn.java,
// hudson/model/ParametersDefinitionProperty.java): the outcome table,
// parameter defaults, queue merging (303 for buildWithParameters since 2.308).
import type { ParamDefinition } from './config-xml.js'
import { fullDisplayName, itemUrl } from './paths.js'
import { redirect, send, sendJettyError, sendText, type Ctx } from './http.js'
import type { EmulatorCore as Emulator } from './core.js'
import type { Cause, Item, ParamValue } from './types.js'

class IllegalArgument extends Error {}

/** jenkins.util.TimeDuration.fromString: "Nsec"/"Nsecs" = seconds, bare number = ms. */
export function parseDelayMs(delay: string): number {
  let d = delay.trim()
  let unit = 1
  if (d.endsWith('sec') || d.endsWith('secs')) {
    d = d.slice(0, d.lastIndexOf('sec')).trim()
    unit = 1000
  }
  if (!/^[+-]?\d+$/.test(d)) throw new IllegalArgument(`Invalid time duration value: ${delay}`)
  return Number(d) * unit
}

function createValue(def: ParamDefinition, values: string[]): ParamValue {
  if (values.length > 1)
    throw new IllegalArgument(`Illegal number of parameter values for ${def.name}: ${values.length}`)
  const raw = values[0]
  if (raw === undefined) return { type: def.type, name: def.name, value: def.defaultValue }
  switch (def.type) {
    case 'boolean':
      return { type: def.type, name: def.name, value: raw.toLowerCase() === 'true' }
    case 'choice':
      if (!def.choices.includes(raw)) throw new IllegalArgument(`Illegal choice for parameter ${def.name}: ${raw}`)
      return { type: def.type, name: def.name, value: raw }
    case 'string':
      return { type: def.type, name: def.name, value: def.trim ? raw.trim() : raw }
    default:
      return { type: def.type, name: def.name, value: raw }
  }
}

function causeFor(ctx: Ctx, remote: boolean): Cause {
  if (remote) {
    const addr = ctx.req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1'
    const note = ctx.params.get('cause')
    return {
      _class: 'hudson.model.Cause$RemoteCause',
      shortDescription: `Started by remote host ${addr}${note ? ` with note: ${note}` : ''}`,
      addr,
      note,
    }
  }
  if (!ctx.user)
    return {
      _class: 'hudson.model.Cause$UserIdCause',
      shortDescription: 'Started by anonymous user',
      userId: null,
      userName: 'anonymous',
    }
  return {
    _class: 'hudson.model.Cause$UserIdCause',
    shortDescription: `Started by user ${ctx.user.fullName}`,
    userId: ctx.user.id,
    userName: ctx.user.fullName,
  }
}

/** BuildAuthorizationToken.checkPermission; returns remote=true for a valid job token, or undefined after answering. */
function checkBuildPermission(emu: Emulator, ctx: Ctx, job: Item): { remote: boolean } | undefined {
  const token = ctx.params.get('token')
  if (job.def.authToken !== undefined && token !== null) {
    if (token === job.def.authToken) return { remote: true }
    emu.denied(ctx, 'Job/Build', 'Invalid token provided.')
    return undefined
  }
  if (ctx.method !== 'POST') {
    emu.methodNotAllowed(ctx)
    return undefined
  }
  if (!emu.auth.has(ctx.user?.id ?? null, 'Job/Build')) {
    emu.denied(ctx, 'Job/Build')
    return undefined
  }
  return { remote: false }
}

function quietSeconds(emu: Emulator, ctx: Ctx, job: Item): number {
  const delay = ctx.params.get('delay')
  // ParameterizedJobMixIn passes delay.getTimeInSeconds(): whole seconds.
  if (delay !== null) return Math.floor(parseDelayMs(delay) / 1000)
  return job.def.quietPeriod ?? emu.opts.quietPeriodSec
}

function schedule(emu: Emulator, ctx: Ctx, job: Item, params: ParamValue[] | null, remote: boolean) {
  const quiet = quietSeconds(emu, ctx, job)
  return emu.queue.schedule(job, params, [causeFor(ctx, remote)], emu.now(), quiet)
}

function conflictIfDisabled(emu: Emulator, ctx: Ctx, job: Item): boolean {
  if (!job.def.disabled) return false
  sendText(ctx, emu.headerInfo, 409, `${fullDisplayName(job)} is not buildable\n`)
  return true
}

function illegal(emu: Emulator, ctx: Ctx, err: unknown): boolean {
  if (!(err instanceof IllegalArgument)) return false
  emu.oops(ctx, `java.lang.IllegalArgumentException: ${err.message}`)
  return true
}

export function buildWithParameters(emu: Emulator, ctx: Ctx, job: Item): void {
  const perm = checkBuildPermission(emu, ctx, job)
  if (!perm) return
  if (conflictIfDisabled(emu, ctx, job)) return
  if (job.def.parameters.length === 0) {
    if (emu.opts.legacyNotParameterized500)
      emu.oops(ctx, 'java.lang.IllegalStateException: This build is not parameterized!')
    else sendText(ctx, emu.headerInfo, 400, `${fullDisplayName(job)} is not parameterized\n`)
    return
  }
  try {
    const values = job.def.parameters.map((d) => createValue(d, ctx.params.getAll(d.name)))
    const { item, merged } = schedule(emu, ctx, job, values, perm.remote)
    redirect(ctx, emu.headerInfo, merged ? 303 : 201, `${ctx.root}/queue/item/${item.id}/`)
  } catch (err) {
    if (!illegal(emu, ctx, err)) throw err
  }
}

export function build(emu: Emulator, ctx: Ctx, job: Item): void {
  if (conflictIfDisabled(emu, ctx, job)) return
  const parameterized = job.def.parameters.length > 0
  const token = ctx.params.get('token')
  const validToken = job.def.authToken !== undefined && token === job.def.authToken
  if (parameterized && ctx.method !== 'POST' && !validToken) {
    send(
      ctx,
      emu.headerInfo,
      200,
      `<!DOCTYPE html><html><body><form method="post" action="build"><h1>This build requires parameters:</h1></form></body></html>`,
      {
        'Content-Type': 'text/html;charset=UTF-8',
      },
    )
    return
  }
  const perm = checkBuildPermission(emu, ctx, job)
  if (!perm) return
  try {
    if (!parameterized) {
      const { item } = schedule(emu, ctx, job, null, perm.remote)
      // Merged or not, /build answers 201 (TODO JENKINS-66105 upstream).
      redirect(ctx, emu.headerInfo, 201, `${ctx.root}/queue/item/${item.id}/`)
      return
    }
    const json = ctx.params.get('json')
    if (json === null) {
      const message =
        [...ctx.params.keys()].length === 0 ? 'Nothing is submitted' : 'This page expects a form submission'
      sendJettyError(ctx, emu.headerInfo, 400, message)
      return
    }
    const submitted = (
      JSON.parse(json) as { parameter?: { name: string; value: unknown }[] | { name: string; value: unknown } }
    ).parameter
    const list = Array.isArray(submitted) ? submitted : submitted ? [submitted] : []
    const values = job.def.parameters.map((d) => {
      const v = list.find((p) => p.name === d.name)
      return createValue(d, v === undefined ? [] : [String(v.value)])
    })
    const { item, merged } = schedule(emu, ctx, job, values, perm.remote)
    if (merged) redirect(ctx, emu.headerInfo, 302, itemUrl(ctx.root, job))
    else redirect(ctx, emu.headerInfo, 201, `${ctx.root}/queue/item/${item.id}/`)
  } catch (err) {
    if (!illegal(emu, ctx, err)) throw err
  }
}
