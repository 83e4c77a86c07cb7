// A real smart-HTTP git server (a development tool: `tamer demo` serves its sample repository with
// it, tests theirs): Node's http in front of `git http-backend` (CGI), with optional Basic auth, a
// log of every request's Authorization header, and an optional redirect.
import { spawn } from 'node:child_process'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface GitHttpServerOptions {
  /** Served as GIT_PROJECT_ROOT: `<root>/remote.git` is at `<url>/remote.git`. */
  projectRoot: string
  /** Required Basic credentials; absent: anonymous access. */
  auth?: { username: string; password: string }
  /** Required Basic credentials by request path (overrides `auth`); undefined: anonymous. */
  authFor?: (path: string) => { username: string; password: string } | undefined
  /** Answer every request with a 302 to this base URL plus the request's path and query. */
  redirectTo?: string
  /** The name the server is reached by (127.0.0.1 and localhost are different hosts to git). */
  hostname?: string
  /** Called as each request arrives, before it is answered. */
  onRequest?: (req: IncomingMessage) => void
}

export interface SeenRequest {
  method: string
  path: string
  authorization: string | undefined
}

export interface GitHttpServer {
  /** `http://<hostname>:<port>`, no trailing slash. */
  url: string
  requests: SeenRequest[]
  close(): Promise<void>
}

export async function serveGit(opts: GitHttpServerOptions): Promise<GitHttpServer> {
  const requests: SeenRequest[] = []
  const basic = (a: { username: string; password: string } | undefined) =>
    a && `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`
  const server = createServer((req, res) => {
    const expected = basic(opts.authFor ? opts.authFor(req.url ?? '/') : opts.auth)
    requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization })
    opts.onRequest?.(req)
    if (opts.redirectTo) {
      res.writeHead(302, { location: `${opts.redirectTo}${req.url ?? ''}` }).end()
      return
    }
    if (expected && req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('unauthorized\n')
      return
    }
    cgi(opts.projectRoot, req, res)
  })
  const hostname = opts.hostname ?? '127.0.0.1'
  await new Promise<void>((resolve) => server.listen(0, hostname, resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${hostname}:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Runs git http-backend for one request: CGI variables in, `Status:` and headers, blank line, body out. */
function cgi(projectRoot: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://git.invalid')
  const header = (name: string) => req.headers[name]?.toString() ?? ''
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: header('content-type'),
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: header('content-length') } : {}),
      // Gzipped upload-pack requests and protocol v2, as git clients send them.
      HTTP_CONTENT_ENCODING: header('content-encoding'),
      HTTP_GIT_PROTOCOL: header('git-protocol'),
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  })
  req.pipe(child.stdin)
  let head = Buffer.alloc(0)
  let started = false
  child.stdout.on('data', (chunk: Buffer) => {
    if (started) {
      res.write(chunk)
      return
    }
    head = Buffer.concat([head, chunk])
    const text = head.toString('latin1')
    const end = /\r?\n\r?\n/.exec(text)
    if (!end) return
    started = true
    let status = 200
    for (const line of text.slice(0, end.index).split(/\r?\n/)) {
      const colon = line.indexOf(':')
      if (colon < 0) continue
      const name = line.slice(0, colon).trim()
      const value = line.slice(colon + 1).trim()
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10)
      else res.setHeader(name, value)
    }
    res.writeHead(status)
    res.write(head.subarray(end.index + end[0].length))
  })
  child.on('close', (code) => {
    if (!started) res.writeHead(code === 0 ? 200 : 500)
    res.end()
  })
  child.on('error', () => {
    if (!res.headersSent) res.writeHead(500)
    res.end()
  })
}
