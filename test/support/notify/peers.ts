// Real peers for notification tests: an SMTP server (smtp-server) whose mails are read back
// with mailparser, and an HTTP server that records chat payloads and answers as told.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface SmtpPeer {
  port: number
  mails: { envelopeTo: string[]; raw: string; parsed: ParsedMail }[]
  /** refuse the next n DATA commands with this code (451: try again later) */
  refuseNext(n: number, code?: number): void
  close(): Promise<void>
}

/** With `auth`, the peer wants AUTH PLAIN/LOGIN with exactly that user and password (over plain TCP: tests only). */
export async function startSmtpPeer(o: { auth?: { user: string; pass: string } } = {}): Promise<SmtpPeer> {
  const mails: SmtpPeer['mails'] = []
  let refuse = 0
  let refuseCode = 451
  const auth = o.auth
  const server = new SMTPServer({
    authOptional: !auth,
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: Boolean(auth),
    onAuth: (a, _session, cb) =>
      auth && a.username === auth.user && a.password === auth.pass
        ? cb(null, { user: a.username })
        : cb(new Error('Invalid username or password')),
    logger: false,
    size: 50 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        if (refuse > 0) {
          refuse--
          return callback(Object.assign(new Error('Greylisted, try again later'), { responseCode: refuseCode }))
        }
        const raw = Buffer.concat(chunks).toString('utf8')
        simpleParser(raw).then((parsed) => {
          mails.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), raw, parsed })
          callback()
        }, callback)
      })
    },
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.server.address() as AddressInfo).port
  return {
    port,
    mails,
    refuseNext(n, code = 451) {
      refuse = n
      refuseCode = code
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

export interface HttpRequestSeen {
  path: string
  headers: IncomingHttpHeaders
  raw: string
  body: any
}

export interface HttpPeer {
  url: string
  requests: HttpRequestSeen[]
  /** answers for the next requests, in order; then 200 `ok` */
  answerNext(...answers: { status: number; headers?: Record<string, string>; body?: string }[]): void
  close(): Promise<void>
}

export async function startHttpPeer(): Promise<HttpPeer> {
  const requests: HttpRequestSeen[] = []
  const answers: { status: number; headers?: Record<string, string>; body?: string }[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      requests.push({ path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw) })
      const a = answers.shift() ?? { status: 200, body: 'ok' }
      res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers })
      res.end(a.body ?? '')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answerNext: (...a) => void answers.push(...a),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  }
}
