// Misbehaviour and scripting on demand, the failures a real Jenkins shows: down / slow / 500s /
// expired crumbs / cancelled queue items / vanished jobs / scripted results.
import { endBuild } from './builds.js'
import { ManualClock } from './clock.js'
import { createItem } from './jobs.js'
import type { EmulatorCore as Emulator, RecordedRequest } from './core.js'
import type { BuildResult, BuildScenario, Item, ScenarioSource } from './types.js'

export interface EmulatorControl {
  /** close the listener: connections are refused until `up()` */
  down(): Promise<void>
  /** listen again on the same port */
  up(): Promise<void>
  /** delay every response by `ms` (0 = off) */
  slow(ms: number): void
  /**
   * the next `n` requests answer `status` (default 500, Jenkins' "Oops!" page); with `path`, only requests whose path
   * it matches (others, such as a job's config read that happens to come first, go through)
   */
  failNext(n: number, status?: number, path?: RegExp): void
  /** sessions lost: every crumb issued so far is rejected */
  expireCrumbs(): void
  /** turn CSRF protection off (crumb issuer → 404) or on */
  setCsrf(enabled: boolean): void
  /** cancel a queue item from "the UI"; false when it already left */
  cancelQueueItem(id: number): boolean
  /** delete a job (or folder) behind the client's back: its URLs become 404 */
  vanishJob(fullName: string): void
  /** how builds of this job behave; a function sees the build's parameters */
  setScenario(fullName: string, scenario: ScenarioSource): void
  setDefaultScenario(scenario: BuildScenario): void
  /** end a running build now (open-ended scenarios use this) */
  completeBuild(fullName: string, number: number, result?: BuildResult): void
  /** executors for Pipeline tasks; 0 keeps items Buildable ("stays queued") */
  setExecutors(n: number): void
  /** move the ManualClock forward (throws for a real clock) */
  advance(ms: number): void
  /** create a job directly from config.xml, bypassing HTTP (test setup) */
  createJob(fullName: string, configXml: string): Item
  /** Jenkins restart: LeftItems and sessions are forgotten, new cookie name */
  restart(): void
  /** call `listener` as each request arrives, before it is handled (null: stop) */
  onRequest(listener: ((r: RecordedRequest) => void) | null): void
  /** call `listener` as each response is finished (null: stop); tests time crashes of the client by it */
  onResponse(listener: ((r: RecordedRequest) => void) | null): void
}

function parentAndName(emu: Emulator, fullName: string): { parent: Item; name: string } {
  const parts = fullName.split('/').filter(Boolean)
  const name = parts.pop()
  const parent = parts.length ? emu.item(parts.join('/')) : emu.root
  if (!name || !parent) throw new Error(`no parent folder for ${fullName}`)
  return { parent, name }
}

export function createControl(emu: Emulator): EmulatorControl {
  const mustFind = (fullName: string): Item => {
    const it = emu.item(fullName)
    if (!it) throw new Error(`no such item ${fullName}`)
    return it
  }
  return {
    down: () => emu.stopListening(),
    up: () => emu.listen(emu.port),
    slow(ms) {
      emu.slowMs = ms
    },
    failNext(n, status = 500, path) {
      emu.failures = { remaining: n, status, path }
    },
    expireCrumbs() {
      emu.auth.expireSessions()
    },
    setCsrf(enabled) {
      emu.auth.crumbIssuerEnabled = enabled
    },
    cancelQueueItem(id) {
      return emu.queue.cancel(id, emu.now())
    },
    vanishJob(fullName) {
      emu.removeItem(mustFind(fullName))
    },
    setScenario(fullName, scenario) {
      mustFind(fullName).scenario = scenario
    },
    setDefaultScenario(scenario) {
      emu.opts.defaultScenario = scenario
    },
    completeBuild(fullName, number, result = 'SUCCESS') {
      const b = mustFind(fullName).builds.find((x) => x.number === number)
      if (!b) throw new Error(`no build ${fullName} #${number}`)
      endBuild(b, emu.now(), result)
    },
    setExecutors(n) {
      emu.now()
      emu.queue.timing.executors = n
      emu.opts.executors = n
    },
    advance(ms) {
      if (!(emu.clock instanceof ManualClock)) throw new Error('advance() needs the ManualClock')
      emu.clock.advance(ms)
      emu.now()
    },
    createJob(fullName, configXml) {
      const { parent, name } = parentAndName(emu, fullName)
      return createItem(parent, name, configXml)
    },
    restart() {
      const now = emu.now()
      emu.queue.forgetLeft()
      emu.auth.expireSessions()
      emu.auth.cookieName = `JSESSIONID.${Math.floor(Math.random() * 0xffffffff)
        .toString(16)
        .padStart(8, '0')}`
      void now
    },
    onRequest(listener) {
      emu.requestListener = listener
    },
    onResponse(listener) {
      emu.responseListener = listener
    },
  }
}
