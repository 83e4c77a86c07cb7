// What the emulator's parts see of it (routes, triggers, control): the options, the recorded
// requests and the members they use. The class is in server.ts, which imports those parts; they
// import this, so no file imports itself back (test/architecture/imports.test.ts).
import type { IncomingMessage } from 'node:http'
import type { Auth, Permission, UserSpec } from './auth.js'
import type { EmulatorClock } from './clock.js'
import type { Ctx, HeaderInfo } from './http.js'
import type { JenkinsQueue } from './queue.js'
import type { BuildScenario, Item } from './types.js'

export interface JenkinsEmulatorOptions {
  /** default: one user `tamer` with API token `tamer-api-token` and password `tamer-password` */
  users?: UserSpec[]
  /** what anonymous requests may do (default: nothing → 403 everywhere) */
  anonymousPermissions?: Permission[]
  /** CSRF protection on (default); off → /crumbIssuer/api/json is 404 */
  csrf?: boolean
  /** default: a ManualClock — move it with `control.advance(ms)` */
  clock?: EmulatorClock
  /** global quiet period in seconds (Jenkins default 5) */
  quietPeriodSec?: number
  buildableMs?: number
  executableGapMs?: number
  leftItemTtlMs?: number
  executors?: number
  defaultScenario?: BuildScenario
  version?: string
  /** answer buildWithParameters on a non-parameterized job with the pre-2.524 500 */
  legacyNotParameterized500?: boolean
}

export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: string
  status?: number
}

export type ResolvedOptions = Required<
  Omit<JenkinsEmulatorOptions, 'users' | 'anonymousPermissions' | 'csrf' | 'clock'>
>

export interface EmulatorCore {
  readonly opts: ResolvedOptions
  readonly clock: EmulatorClock
  readonly auth: Auth
  root: Item
  queue: JenkinsQueue
  readonly requests: RecordedRequest[]
  readonly headerInfo: HeaderInfo
  port: number
  slowMs: number
  requestListener: ((r: RecordedRequest) => void) | null
  responseListener: ((r: RecordedRequest) => void) | null
  failures: { remaining: number; status: number; path?: RegExp }
  newQueue(): JenkinsQueue
  now(): number
  item(fullName: string): Item | undefined
  removeItem(item: Item): void
  setDisabled(item: Item, disabled: boolean): void
  json(ctx: Ctx, value: unknown, headers?: Record<string, string>): void
  oops(ctx: Ctx, exception: string): void
  methodNotAllowed(ctx: Ctx): void
  requirePost(ctx: Ctx): boolean
  denied(ctx: Ctx, perm: Permission, message?: string): void
  listen(port: number): Promise<void>
  stopListening(): Promise<void>
}
