// Security headers on every response (issue #9, hardening), errors and 404s included: an onRequest
// hook sets them before any route, auth or limit can answer. The API answers JSON only, so its CSP
// allows nothing; the diff pages set their own CSP (DIFF_PAGE_CSP), which replaces this one on those
// pages. https://helmetjs.github.io/
import type { FastifyInstance } from 'fastify'
import helmet from 'helmet'
import type { IncomingMessage, ServerResponse } from 'node:http'

export const API_CSP_DIRECTIVES = {
  defaultSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
}

const OPTIONS = {
  contentSecurityPolicy: { useDefaults: false, directives: API_CSP_DIRECTIVES },
  // Nothing here is meant to be framed.
  frameguard: { action: 'deny' as const },
}

/**
 * What helmet sets and removes with these options, taken once: every option is a constant, so every
 * answer gets the same headers. @fastify/helmet built helmet's middleware again on every request,
 * CSP directives parsed and all (~5 % of intake's event loop, issue #12).
 */
function helmetHeaders(): { set: [string, string][]; removed: string[] } {
  const set: [string, string][] = []
  const removed: string[] = []
  const recorder = {
    setHeader: (name: string, value: string) => void set.push([name, value]),
    removeHeader: (name: string) => void removed.push(name),
  }
  helmet(OPTIONS)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {})
  return { set, removed }
}

const HEADERS = helmetHeaders()

/** The headers on a raw answer: from the hook, and on those Fastify's router gives first (a malformed URL, app.ts). */
export function setSecurityHeaders(_req: IncomingMessage, res: ServerResponse): void {
  for (const [name, value] of HEADERS.set) res.setHeader(name, value)
  for (const name of HEADERS.removed) res.removeHeader(name)
}

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', (request, reply, done) => {
    setSecurityHeaders(request.raw, reply.raw)
    done()
  })
}
