// Minimal raw HTTP for tests: exact status, headers and body, no redirects followed.
import { request as httpRequest } from 'node:http'

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  json<T = any>(): T
  header(name: string): string | undefined
}

export interface RawRequest {
  method?: string
  auth?: string | null
  headers?: Record<string, string>
  body?: string
  form?: Record<string, string>
}

export function basic(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`
}

export function raw(base: string, path: string, opts: RawRequest = {}): Promise<RawResponse> {
  const url = new URL(path, base)
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.auth) headers.authorization = opts.auth
  let body = opts.body
  if (opts.form) {
    body = new URLSearchParams(opts.form).toString()
    headers['content-type'] = 'application/x-www-form-urlencoded'
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text,
          json: () => JSON.parse(text),
          header: (name) => {
            const v = res.headers[name.toLowerCase()]
            return Array.isArray(v) ? v.join(', ') : v
          },
        })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}
