// pino JSON logs. Anything that authenticates is redacted wherever it appears: by key (the
// headers and config keys that carry secrets) and by value (every configured secret and known
// token shape, src/security/secret-fields.ts), so a secret inside an error message is masked too.
import { pino, type ChildLoggerOptions, type DestinationStream, type Logger } from 'pino'
import { stdoutLogSink } from './log-output.js'
import { SECRET_HEADER_NAMES, SECRET_KEYS, SECRET_QUERY_PARAM } from './security/secret-fields.js'
import { createMask, maskDeep, type Mask } from './security/secrets.js'

const header = (name: string) => (/^[a-z]+$/.test(name) ? `.${name}` : `["${name}"]`)

export const REDACT_PATHS = [
  ...SECRET_HEADER_NAMES.map((h) => `req.headers${header(h)}`),
  ...SECRET_HEADER_NAMES.map((h) => `headers${header(h)}`),
  ...SECRET_KEYS.map((k) => `*.${k}`),
]

export interface LoggerOptions {
  /** Values masked in every line (see secretValues); token shapes are masked regardless. */
  secrets?: readonly string[]
}

function maskLine(line: string, mask: Mask): string {
  // Most lines hold nothing to mask: those are written as pino made them, unparsed.
  if (!mask.mayChange(line)) return line
  try {
    return `${JSON.stringify(maskDeep(JSON.parse(line), mask))}\n`
  } catch {
    return mask(line)
  }
}

/** The URL with the values of secret-looking query parameters replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const redacted = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=')
      const name = eq < 0 ? pair : pair.slice(0, eq)
      let decoded = name
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '))
      } catch {
        // an undecodable name is judged as sent
      }
      return eq >= 0 && SECRET_QUERY_PARAM.test(decoded.trim()) ? `${name}=[redacted]` : pair
    })
  return `${url.slice(0, q)}?${redacted.join('&')}`
}

/** Fastify's request serializer (fastify/lib/logger-pino.js), with the URL's secrets redacted. */
function serializeRequest(req: {
  method?: string
  url?: unknown
  host?: string
  ip?: string
  headers?: Record<string, unknown>
  socket?: { remotePort?: number }
}) {
  if (typeof req?.url !== 'string') return req
  return {
    method: req.method,
    url: redactUrl(req.url),
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }
}

/** Without a destination, lines go to stdout without ever blocking the process (log-output.ts). */
export function createLogger(level: string, destination?: DestinationStream, options: LoggerOptions = {}): Logger {
  const mask = createMask(options.secrets ?? [])
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { req: serializeRequest },
      // Masked on the parsed line, so a mask can never break the JSON around a value.
      hooks: { streamWrite: (line) => maskLine(line, mask) },
    },
    destination ?? stdoutLogSink(),
  )
}

/**
 * A logger for lines whose keys are fixed and hold no secret (ids, names, counts): made once, without the
 * key redaction, whose wildcard paths (`*.token`, …) are tried over every key of every line. A delivery's
 * line cost ~3× as much with it (issue #12). Values are still masked where the line is written.
 */
export function plainLineLogger<L extends Logger | FastifyLike>(logger: L, bindings: Record<string, unknown> = {}): L {
  return logger.child(bindings, { redact: [] }) as L
}

interface FastifyLike {
  child(bindings: Record<string, unknown>, options?: object): unknown
}

const LEVEL_METHODS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])
const noop = () => {}

/**
 * `parent.child(bindings, options)`, made on its first line at an enabled level: pino serializes and redacts a
 * child's bindings when it is made, and the pipeline made one per route and per step that then logged nothing at
 * the configured level (~4 % of a burst's main thread, issue #12). `bindings` may be a function, called when the
 * child is made. With a level of its own in `options`, any line makes it.
 */
export function lazyChild<L extends FastifyLike>(
  parent: L,
  bindings: Record<string, unknown> | (() => Record<string, unknown>),
  options?: ChildLoggerOptions,
): L {
  return new Proxy(parent, new LazyChild(parent, bindings, options))
}

/**
 * lazyChild's proxy handler, a class so that making one (per route and per step) makes no closures. Before the
 * child is made, a method is one that makes it when called, not when read: Fastify reads every level method of a
 * request's logger to check it (validateLogger), which made the child on every delivery.
 */
class LazyChild<L extends FastifyLike> implements ProxyHandler<L> {
  #child: L | null = null
  #deferred: Map<PropertyKey, (...a: unknown[]) => unknown> | null = null
  readonly #parent: L
  readonly #bindings: Record<string, unknown> | (() => Record<string, unknown>)
  readonly #options: ChildLoggerOptions | undefined
  constructor(
    parent: L,
    bindings: Record<string, unknown> | (() => Record<string, unknown>),
    options: ChildLoggerOptions | undefined,
  ) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
  }
  #real(): L {
    const b = this.#bindings
    return (this.#child ??= this.#parent.child(typeof b === 'function' ? b() : b, this.#options) as L)
  }
  #defer(key: PropertyKey): (...a: unknown[]) => unknown {
    this.#deferred ??= new Map()
    let f = this.#deferred.get(key)
    if (f === undefined)
      this.#deferred.set(
        key,
        (f = (...a: unknown[]) => {
          const c = this.#real()
          return (Reflect.get(c, key, c) as (...a: unknown[]) => unknown).apply(c, a)
        }),
      )
    return f
  }
  get(_: L, key: PropertyKey): unknown {
    if (this.#child === null) {
      if (this.#options?.level === undefined && typeof key === 'string' && LEVEL_METHODS.has(key))
        if ((this.#parent as Partial<Logger>).isLevelEnabled?.(key) === false) return noop
      if (typeof Reflect.get(this.#parent, key) === 'function') return this.#defer(key)
    }
    const c = this.#real()
    const value: unknown = Reflect.get(c, key, c)
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(c) : value
  }
  set(_: L, key: PropertyKey, value: unknown): boolean {
    return Reflect.set(this.#real(), key, value)
  }
}

type LineArgs = [obj: unknown, msg?: string, ...rest: unknown[]]

/**
 * lazyChild for Fastify's request loggers, which are only ever called for lines (hooks.ts, app.ts): the methods
 * are a class's, so making one per request and Fastify's check of each method (validateLogger) make no proxy,
 * closure or child; the child is made at the first line at an enabled level (a delivery's request logs only when
 * refused). ~25 µs of the event loop per delivery less than the proxy under bench:intake (issue #12).
 */
export class LazyRequestLogger {
  #made: Logger | null = null
  readonly #parent: Logger
  readonly #bindings: () => Record<string, unknown>
  readonly #options: ChildLoggerOptions | undefined
  constructor(parent: Logger, bindings: () => Record<string, unknown>, options?: ChildLoggerOptions) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
  }
  get level(): string {
    return (this.#made ?? this.#parent).level
  }
  child(bindings: Record<string, unknown>, options?: ChildLoggerOptions): Logger {
    return this.#real().child(bindings, options)
  }
  isLevelEnabled(level: string): boolean {
    return (this.#made ?? this.#parent).isLevelEnabled(level)
  }
  silent(): void {}
  trace(...a: LineArgs): void {
    this.#line('trace', a)
  }
  debug(...a: LineArgs): void {
    this.#line('debug', a)
  }
  info(...a: LineArgs): void {
    this.#line('info', a)
  }
  warn(...a: LineArgs): void {
    this.#line('warn', a)
  }
  error(...a: LineArgs): void {
    this.#line('error', a)
  }
  fatal(...a: LineArgs): void {
    this.#line('fatal', a)
  }
  #real(): Logger {
    return (this.#made ??= this.#parent.child(this.#bindings(), this.#options))
  }
  #line(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', a: LineArgs): void {
    if (this.#made === null && this.#options?.level === undefined && !this.#parent.isLevelEnabled(level)) return
    const made = this.#real()
    ;(made[level] as (...x: unknown[]) => void).apply(made, a)
  }
}
