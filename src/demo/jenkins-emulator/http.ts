// Response helpers with Jenkins' headers and error page shapes (jenkinsci/jenkins core/src/main/java/:
// hudson/model/Api.java, hudson/security/HudsonAuthenticationEntryPoint.java, hudson/model/Failure.java).
import type { IncomingMessage, ServerResponse } from 'node:http'

export interface Ctx {
  req: IncomingMessage
  res: ServerResponse
  method: string
  /** decoded path segments */
  segments: string[]
  rawPath: string
  /** query string + form body parameters (query first) */
  params: URLSearchParams
  query: URLSearchParams
  body: Buffer
  /** absolute root URL built from the request's Host header */
  root: string
  user: { id: string; fullName: string } | null
  viaApiToken: boolean
}

export interface HeaderInfo {
  version: string
  sessionHeader: string
}

function baseHeaders(ctx: Ctx, info: HeaderInfo): Record<string, string> {
  return { 'X-Jenkins': info.version, 'X-Jenkins-Session': info.sessionHeader, 'X-Content-Type-Options': 'nosniff' }
}

export function send(
  ctx: Ctx,
  info: HeaderInfo,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  ctx.res.writeHead(status, { ...baseHeaders(ctx, info), 'Content-Length': String(buf.length), ...headers })
  ctx.res.end(ctx.method === 'HEAD' ? undefined : buf)
}

export function sendJson(ctx: Ctx, info: HeaderInfo, value: unknown, headers: Record<string, string> = {}): void {
  const pretty = ctx.query.has('pretty')
  send(ctx, info, 200, JSON.stringify(value, null, pretty ? 2 : undefined), {
    'Content-Type': 'application/json;charset=UTF-8',
    ...headers,
  })
}

export function sendText(
  ctx: Ctx,
  info: HeaderInfo,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  send(ctx, info, status, text, { 'Content-Type': 'text/plain;charset=UTF-8', ...headers })
}

export function sendEmpty(ctx: Ctx, info: HeaderInfo, status: number, headers: Record<string, string> = {}): void {
  send(ctx, info, status, '', headers)
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** Jetty's error page, used for `sendError` (401, crumb 403, 404, 405). */
export function sendJettyError(
  ctx: Ctx,
  info: HeaderInfo,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const m = escapeHtml(message)
  const html = `<html>
<head>
<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>
<title>Error ${status} ${m}</title>
</head>
<body>
<h2>HTTP ERROR ${status} ${m}</h2>
<table>
<tr><th>URI:</th><td>${escapeHtml(ctx.rawPath)}</td></tr>
<tr><th>STATUS:</th><td>${status}</td></tr>
<tr><th>MESSAGE:</th><td>${m}</td></tr>
<tr><th>SERVLET:</th><td>Stapler</td></tr>
</table>
<hr/><a href="https://jetty.org/">Powered by Jetty:// 12.0.22</a><hr/>

</body>
</html>
`
  send(ctx, info, status, html, {
    'Content-Type': 'text/html;charset=iso-8859-1',
    'Cache-Control': 'must-revalidate,no-cache,no-store',
    ...headers,
  })
}

/** Header values are Latin-1: typographic quotes arrive as `?` (silas/node-jenkins lib/jenkins.js turns `?` to `"`). */
export function latin1Header(s: string): string {
  return s.replace(/[^\x20-\x7e\xa0-\xff]/g, '?')
}

/** hudson.model.Failure → 400 page plus `X-Error` (jenkinsci/jenkins core, AbstractModelObject/error.jelly). */
export function sendFailure(ctx: Ctx, info: HeaderInfo, message: string, status = 400): void {
  const html = `<!DOCTYPE html><html><head><title>Error [Jenkins]</title></head><body><div id="main-panel"><h1>Error</h1><p>${escapeHtml(message)}</p></div></body></html>`
  send(ctx, info, status, html, { 'Content-Type': 'text/html;charset=UTF-8', 'X-Error': latin1Header(message) })
}

/** The "Oops!" page Jenkins renders for an uncaught exception (500). */
export function sendOops(ctx: Ctx, info: HeaderInfo, exception: string): void {
  const html = `<!DOCTYPE html><html><head><title>Jenkins [Jenkins]</title></head><body><div id="main-panel"><h1 style="text-align: center">Oops!</h1><div id="error-description"><h2 style="text-align: center">A problem occurred while processing the request</h2><p style="text-align: center">Logging ID=${Math.random().toString(16).slice(2, 10)}</p></div><pre>${escapeHtml(exception)}</pre></div></body></html>`
  send(ctx, info, 500, html, { 'Content-Type': 'text/html;charset=UTF-8' })
}

export function sendNotFound(ctx: Ctx, info: HeaderInfo): void {
  const html = `<!DOCTYPE html><html><head><title>Not Found [Jenkins]</title></head><body><div id="main-panel"><h1>Not Found</h1><p>This page may not exist, or you may not have permission to see it.</p></div></body></html>`
  send(ctx, info, 404, html, { 'Content-Type': 'text/html;charset=UTF-8' })
}

export function redirect(ctx: Ctx, info: HeaderInfo, status: number, location: string): void {
  sendEmpty(ctx, info, status, { Location: location })
}

export async function readBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const b = chunk as Buffer
    size += b.length
    if (size > limit) throw new Error('body too large')
    chunks.push(b)
  }
  return Buffer.concat(chunks)
}
