// GET /openapi.json: the OpenAPI 3 document of every route, made by @fastify/swagger from the
// routes' own schemas (https://github.com/fastify/fastify-swagger). Registered before the routes,
// since it collects them as they are added. Public, like the README that describes the same API.
import { readFileSync } from 'node:fs'
import swagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import { ErrorBody, errors } from './schemas.js'

// package.json is two levels up from src/http and from dist/http alike (the landing page shows it too).
export const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string
}

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  // Response schemas document the answers; serializing with them would silently drop any field
  // a route adds before its schema says so, so answers stay plain JSON.stringify.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  app.addSchema(ErrorBody)
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tamer',
        version,
        description:
          'Webhooks from GitHub, GitLab and Bitbucket in; deliveries, builds, notices and notebook-aware diffs out. See the README.',
      },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'an API token (api.tokens, TAMER_API_TOKEN); a scoped token sees only its tenants',
          },
        },
      },
      tags: [
        { name: 'webhooks', description: 'deliveries from the git hosts, authenticated by their signatures or tokens' },
        { name: 'api', description: 'the read API, behind bearer tokens' },
        { name: 'diffs', description: 'notebook-aware diffs of pushes' },
        { name: 'jenkins', description: "Jenkins' build reports" },
        { name: 'health', description: 'liveness and readiness' },
      ],
    },
    // Schemas added with addSchema become components.schemas under their $id.
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  })
  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This document',
        tags: ['health'],
        response: {
          200: { type: 'object', description: 'OpenAPI 3.0 document', additionalProperties: true },
          ...errors,
        },
      },
    },
    async () => app.swagger(),
  )
}
