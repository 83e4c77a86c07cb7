// The common part of the git hosts' stand-ins (GitLab, Bitbucket Cloud, Bitbucket Server): a real
// HTTP server on 127.0.0.1 that records every request, checks it against the host's documented
// request shape (a request that breaks it is answered 400 like the host would, and kept in
// `violations` for the test to assert on), and can be told how to answer the next requests
// (401/403/404/429/5xx, a hang) before falling back to the host's own behaviour.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Recorded {
  method: string
  /** The raw path, percent-encoding kept (`/projects/acme%2Fml/…`). */
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body: unknown
}

export interface Answer {
  status: number
  headers?: Record<string, string>
  /** JSON (an object) or raw text (a string). Omitted: an empty body. */
  body?: unknown
}

/** What a host does with a request: its answer, or a documented-shape violation (answered 400). */
export type Handler = (r: Recorded) => Answer

export interface Scripted {
  answer: Answer | 'hang'
  /** Which requests it applies to; omitted: the next request whatever it is. */
  match?: (r: Recorded) => boolean
}

export class Violation extends Error {
  /** How the host answers this one, when not its 400 (an unknown route: 404). */
  readonly answer?: Answer

  constructor(message: string, answer?: Answer) {
    super(message)
    this.answer = answer
  }
}

export class StandIn {
  readonly requests: Recorded[] = []
  readonly violations: string[] = []
  private readonly scripted: Scripted[] = []
  private readonly hanging = new Set<ServerResponse>()
  private server = createServer((req, res) => void this.serve(req, res))
  url = ''

  private readonly handle: Handler
  private readonly badRequest: (message: string) => Answer

  constructor(
    handle: Handler,
    /** The host's error body for a violation (its 400 shape). */
    badRequest: (message: string) => Answer,
  ) {
    this.handle = handle
    this.badRequest = badRequest
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Answer the next matching request so (then behave as the host again). */
  script(answer: Answer | 'hang', match?: (r: Recorded) => boolean): void {
    this.scripted.push(match ? { answer, match } : { answer })
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const [path = '', search = ''] = (req.url ?? '').split('?', 2)
    const r: Recorded = {
      method: req.method ?? '',
      path,
      query: new URLSearchParams(search),
      headers: req.headers,
      body: null,
    }
    this.requests.push(r)
    let answer: Answer
    try {
      if (text) {
        if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
          throw new Violation(`body sent as ${req.headers['content-type'] ?? 'no content type'}, not application/json`)
        try {
          r.body = JSON.parse(text) as unknown
        } catch {
          throw new Violation('body is not JSON')
        }
      }
      const i = this.scripted.findIndex((s) => !s.match || s.match(r))
      const scripted = i >= 0 ? this.scripted.splice(i, 1)[0]!.answer : null
      if (scripted === 'hang') {
        this.hanging.add(res)
        return
      }
      answer = scripted ?? this.handle(r)
    } catch (err) {
      if (!(err instanceof Violation)) throw err
      this.violations.push(`${r.method} ${r.path}: ${err.message}`)
      answer = err.answer ?? this.badRequest(err.message)
    }
    const json = answer.body !== undefined && typeof answer.body !== 'string'
    const body = answer.body === undefined ? '' : json ? JSON.stringify(answer.body) : String(answer.body)
    res.writeHead(answer.status, {
      ...(body ? { 'content-type': json ? 'application/json' : 'text/html; charset=utf-8' } : {}),
      ...answer.headers,
    })
    res.end(body)
  }
}

/** Throws a Violation unless `ok`: the stand-in answers 400 and records it. */
export function expect(ok: unknown, message: string): asserts ok {
  if (!ok) throw new Violation(message)
}

/** The request's JSON body as an object (a violation otherwise). */
export function objectBody(r: Recorded): Record<string, unknown> {
  expect(r.body !== null && typeof r.body === 'object' && !Array.isArray(r.body), 'body must be a JSON object')
  return r.body as Record<string, unknown>
}

/** Only documented fields: a misspelt one is silently ignored by the host, which hides a bug. */
export function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(body)) expect(allowed.includes(k), `undocumented field "${k}"`)
}

export function stringField(body: Record<string, unknown>, key: string, max: number, required: boolean): void {
  const v = body[key]
  if (v === undefined) return expect(!required, `"${key}" is required`)
  expect(typeof v === 'string', `"${key}" must be a string`)
  expect(v.length <= max, `"${key}" is longer than ${max} characters (${v.length})`)
}

export function enumField(body: Record<string, unknown>, key: string, values: readonly string[]): void {
  expect(values.includes(body[key] as string), `"${key}" must be one of ${values.join(', ')}; got ${String(body[key])}`)
}

export const SHA = /^[0-9a-f]{40}$/
