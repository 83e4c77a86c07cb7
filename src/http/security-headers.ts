// Security headers on every response (issue #9, hardening), errors and 404s included: helmet's
// onRequest hook sets them before any route, auth or limit can answer. The API answers JSON
// only, so its CSP allows nothing; the diff pages set their own CSP (DIFF_PAGE_CSP), which
// replaces this one on those pages. https://helmetjs.github.io/
import fastifyHelmet from '@fastify/helmet'
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

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(fastifyHelmet, { global: true, ...OPTIONS })
}

const headers = helmet(OPTIONS)
/** The same headers on answers Fastify's router gives before any hook runs (a malformed URL; see app.ts). */
export function setSecurityHeaders(req: IncomingMessage, res: ServerResponse): void {
  headers(req, res, () => {})
}
