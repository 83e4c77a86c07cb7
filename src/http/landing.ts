// GET /: what this service is, its version, which git hosts it takes deliveries from, and where to
// go next (the API document, the read API, the probes), instead of a 404 (issue #11). HTML for a
// browser, JSON for `Accept: application/json`. Public like /openapi.json: it names no secret and
// no repository, only whether each host has one. The API's CSP applies (no script, no style).
import type { FastifyPluginAsync } from 'fastify'
import type { WebhookProvider } from '../providers/provider.js'
import { version } from './openapi.js'
import { errors } from './schemas.js'

export interface LandingPluginOptions {
  providers: readonly Pick<WebhookProvider, 'route' | 'configured'>[]
  jenkinsConfigured: boolean
}

const DESCRIPTION = 'Webhooks from GitHub, GitLab and Bitbucket in, notebook-aware diffs and Jenkins pipelines out.'

const HOST_NAMES: Record<WebhookProvider['route'], string> = {
  github: 'GitHub',
  gitlab: 'GitLab',
  bitbucket: 'Bitbucket (Cloud and Server/Data Center)',
}

const LINKS = [
  { href: '/openapi.json', title: 'API document (OpenAPI 3)', auth: false },
  { href: '/api/deliveries', title: 'Deliveries received', auth: true },
  { href: '/api/builds', title: 'Builds started in Jenkins', auth: true },
  { href: '/api/notifications', title: 'Notices sent', auth: true },
  { href: '/healthz', title: 'Liveness probe', auth: false },
  { href: '/readyz', title: 'Readiness probe', auth: false },
] as const

const Landing = {
  type: 'object',
  required: ['name', 'description', 'version', 'hosts', 'jenkins', 'links'],
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    version: { type: 'string' },
    hosts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['provider', 'url', 'configured'],
        properties: {
          provider: { type: 'string' },
          url: { type: 'string', description: 'where the host posts its webhooks' },
          configured: { type: 'boolean', description: 'a secret is configured; without one every delivery is refused' },
        },
      },
    },
    jenkins: { type: 'object', required: ['configured'], properties: { configured: { type: 'boolean' } } },
    links: {
      type: 'array',
      items: {
        type: 'object',
        required: ['href', 'title', 'auth'],
        properties: {
          href: { type: 'string' },
          title: { type: 'string' },
          auth: { type: 'boolean', description: 'needs a bearer token' },
        },
      },
    },
  },
} as const

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

export const landingPlugin: FastifyPluginAsync<LandingPluginOptions> = async (app, opts) => {
  const body = {
    name: 'Tamer',
    description: DESCRIPTION,
    version,
    hosts: opts.providers.map((p) => ({ provider: p.route, url: `/hooks/${p.route}`, configured: p.configured })),
    jenkins: { configured: opts.jenkinsConfigured },
    links: LINKS.map((l) => ({ ...l })),
  }
  const html = page(body)
  app.get(
    '/',
    {
      schema: {
        summary: 'What this service is, its version, the configured git hosts and links (HTML, or JSON on request)',
        tags: ['health'],
        response: {
          200: {
            description: 'the landing page',
            content: { 'text/html': { schema: { type: 'string' } }, 'application/json': { schema: Landing } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      // A browser asks for text/html first; a script asking for JSON gets JSON (as /openapi.json).
      if (prefersJson(request.headers.accept)) return reply.header('vary', 'Accept').send(body)
      return reply.header('vary', 'Accept').type('text/html; charset=utf-8').send(html)
    },
  )
}

/**
 * Whether Accept ranks application/json above text/html: each type takes the q of the most specific
 * range that matches it (https://www.rfc-editor.org/rfc/rfc9110#section-12.5.1), a tie goes to the
 * more specific match (axios sends JSON, text/plain and any type, all at q=1), and a full tie or no
 * header is HTML.
 */
export function prefersJson(accept: string | undefined): boolean {
  if (!accept) return false
  const ranges = accept.split(',').map((part) => {
    const [range = '', ...params] = part.trim().toLowerCase().split(';')
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined)
    return { range: range.trim(), q: q === undefined ? 1 : Number(q) }
  })
  const rank = (type: string): [q: number, specificity: number] => {
    const candidates = [type, `${type.split('/')[0]}/*`, '*/*']
    for (const [i, c] of candidates.entries()) {
      const r = ranges.find((x) => x.range === c)
      if (r) return [r.q, candidates.length - i]
    }
    return [0, 0]
  }
  const [json, html] = [rank('application/json'), rank('text/html')]
  return json[0] > html[0] || (json[0] === html[0] && json[0] > 0 && json[1] > html[1])
}

function page(b: {
  description: string
  version: string
  hosts: { provider: string; url: string; configured: boolean }[]
  jenkins: { configured: boolean }
  links: { href: string; title: string; auth: boolean }[]
}): string {
  const hosts = b.hosts
    .map(
      (h) =>
        `<li>${esc(HOST_NAMES[h.provider as WebhookProvider['route']] ?? h.provider)}: <code>POST ${esc(h.url)}</code> — ${
          h.configured ? 'configured' : 'not configured (no secret: its deliveries are refused)'
        }</li>`,
    )
    .join('\n')
  const links = b.links
    .map(
      (l) =>
        `<li><a href="${esc(l.href)}">${esc(l.title)}</a> <code>${esc(l.href)}</code>${l.auth ? ' (bearer token)' : ''}</li>`,
    )
    .join('\n')
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tamer ${esc(b.version)}</title>
</head>
<body>
<h1>Tamer <small>${esc(b.version)}</small></h1>
<p>${esc(b.description)}</p>
<h2>Git hosts</h2>
<ul>
${hosts}
</ul>
<p>Jenkins: ${b.jenkins.configured ? 'configured' : 'not configured (deliveries are stored, no build starts)'}</p>
<h2>API</h2>
<ul>
${links}
</ul>
<p>The read API takes <code>Authorization: Bearer TOKEN</code> (<code>TAMER_API_TOKEN</code> or
<code>tamer tokens create</code>). This page as JSON: ask for it with <code>Accept: application/json</code>.</p>
</body>
</html>
`
}
