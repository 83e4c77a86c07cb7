// GitHub's REST API description as published by GitHub in the npm package @octokit/openapi
// (generated/api.github.com.json, https://github.com/github/rest-api-description): the GitHub
// stand-in checks every request against it (route, method, path and query parameters, the body's
// required fields, types and enum values) and its own answers against the documented responses.
import { createRequire } from 'node:module'

type Schema = {
  $ref?: string
  type?: string
  nullable?: boolean
  enum?: unknown[]
  required?: string[]
  properties?: Record<string, Schema>
  additionalProperties?: boolean | Schema
  items?: Schema
  allOf?: Schema[]
  anyOf?: Schema[]
  oneOf?: Schema[]
  maxLength?: number
  minimum?: number
  maximum?: number
}
interface Parameter {
  $ref?: string
  name: string
  in: 'path' | 'query' | 'header'
  required?: boolean
  schema: Schema
}
interface Operation {
  parameters?: Parameter[]
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> }
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>
}
interface Document {
  paths: Record<string, Record<string, Operation>>
  components: Record<string, Record<string, unknown>>
}

const doc = createRequire(import.meta.url)('@octokit/openapi/generated/api.github.com.json') as Document

function deref<T extends { $ref?: string }>(x: T): T {
  let cur: { $ref?: string } = x
  while (cur.$ref) {
    const [, section, name] = /^#\/components\/([^/]+)\/(.+)$/.exec(cur.$ref) ?? []
    cur = doc.components[section!]![name!] as { $ref?: string }
  }
  return cur as T
}

/** The problems of `value` against `schema` (empty: it conforms). `strict`: undocumented properties too. */
export function conform(schema: Schema, value: unknown, at: string, strict: boolean): string[] {
  const s = deref(schema)
  if (value === null) return s.nullable || s.type === 'null' || s.type === undefined ? [] : [`${at} must not be null`]
  if (s.allOf) return s.allOf.flatMap((x) => conform(x, value, at, false))
  for (const alts of [s.anyOf, s.oneOf])
    if (alts) return alts.some((x) => conform(x, value, at, strict).length === 0) ? [] : [`${at} matches no variant`]
  if (s.enum && !s.enum.includes(value)) return [`${at} must be one of ${s.enum.join(', ')}; got ${String(value)}`]
  const kind = Array.isArray(value) ? 'array' : typeof value
  switch (s.type) {
    case 'string':
      if (kind !== 'string') return [`${at} must be a string`]
      return s.maxLength !== undefined && (value as string).length > s.maxLength ? [`${at} too long`] : []
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at} must be an integer`]
    case 'number':
      return kind === 'number' ? [] : [`${at} must be a number`]
    case 'boolean':
      return kind === 'boolean' ? [] : [`${at} must be a boolean`]
    case 'array':
      if (kind !== 'array') return [`${at} must be an array`]
      return s.items ? (value as unknown[]).flatMap((v, i) => conform(s.items!, v, `${at}[${i}]`, strict)) : []
    case 'object': {
      if (kind !== 'object') return [`${at} must be an object`]
      const o = value as Record<string, unknown>
      const out = (s.required ?? []).filter((k) => !(k in o)).map((k) => `${at}.${k} is required`)
      for (const [k, v] of Object.entries(o)) {
        const p = s.properties?.[k]
        if (p) out.push(...conform(p, v, `${at}.${k}`, strict))
        else if (strict && s.additionalProperties === undefined) out.push(`${at}.${k} is not a documented field`)
      }
      return out
    }
    default:
      return []
  }
}

export interface Route {
  template: string
  method: string
  params: Record<string, string>
  operation: Operation
}

const routes = Object.entries(doc.paths).map(([template, ops]) => ({
  template,
  ops,
  re: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`),
}))

/** The documented operation for a request, or why there is none. */
export function routeOf(method: string, path: string): Route | string {
  const found = routes.map((r) => ({ r, m: r.re.exec(path) })).filter((x) => x.m)
  if (found.length === 0) return `${path} is not a documented path`
  // A literal segment beats a parameter (`/issues/comments/{id}` over `/issues/{issue_number}/…`).
  found.sort((a, b) => (a.r.template.match(/\{/g)?.length ?? 0) - (b.r.template.match(/\{/g)?.length ?? 0))
  for (const { r, m } of found) {
    const operation = r.ops[method.toLowerCase()]
    if (operation) {
      const params = Object.fromEntries(Object.entries(m!.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]))
      return { template: r.template, method: method.toUpperCase(), params, operation }
    }
  }
  return `${method} is not documented for ${found[0]!.r.template}`
}

/** What is wrong with a request for `route` (path and query parameters, the JSON body). */
export function requestProblems(route: Route, query: URLSearchParams, body: unknown): string[] {
  const out: string[] = []
  const params = (route.operation.parameters ?? []).map((p) => deref(p))
  for (const p of params) {
    const raw = p.in === 'path' ? route.params[p.name] : p.in === 'query' ? query.get(p.name) : undefined
    if (raw === undefined || raw === null) {
      if (p.required && p.in !== 'header') out.push(`${p.in} parameter ${p.name} is required`)
      continue
    }
    const s = deref(p.schema)
    const value = s.type === 'integer' || s.type === 'number' ? (/^-?\d+$/.test(raw) ? Number(raw) : raw) : raw
    out.push(...conform(s, value, `${p.in} parameter ${p.name}`, false))
  }
  for (const k of query.keys())
    if (!params.some((p) => p.in === 'query' && p.name === k)) out.push(`query parameter ${k} is not documented`)
  const rb = route.operation.requestBody
  if (body === null || body === undefined) {
    if (rb?.required) out.push('a JSON body is required')
  } else if (!rb) out.push('this operation takes no body')
  else {
    const schema = rb.content['application/json']?.schema
    if (schema) out.push(...conform(schema, body, 'body', true))
  }
  return out
}

/** What is wrong with the stand-in's own answer (its documented response, if any). */
export function responseProblems(route: Route, status: number, body: unknown): string[] {
  const r = route.operation.responses[String(status)]
  const schema = r?.content?.['application/json']?.schema
  return schema && body !== undefined ? conform(schema, body, `response ${status}`, false) : []
}
