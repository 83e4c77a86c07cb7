// The routes the Jenkins templates call (callback, metrics, parity, sign-off) are signed
// `X-Tamer-Signature: sha256=<HMAC-SHA256 of the exact body>` with the callback secret: their bodies are
// kept as the bytes the signature covers, and one check verifies them before anything is parsed.
import { createHmac } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { BadSignatureError, CallbackNotConfiguredError, PayloadTooLargeError } from '../errors.js'
import { equalConstantTime } from '../security/compare.js'

export function verifyCallbackSignature(secret: string, body: Buffer, header: string | undefined): boolean {
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '')
  if (!m) return false
  const want = createHmac('sha256', secret).update(body).digest()
  return equalConstantTime(want, Buffer.from(m[1]!, 'hex'))
}

/**
 * This plugin's bodies stay raw bytes up to `maxBytes`. With `announced413`, a Content-Length over the limit
 * is answered with Tamer's coded 413 before the body is read (the metrics and parity posts, whose limit is
 * a setting); without it Fastify's own body limit answers.
 */
export function keepRawBodies(app: FastifyInstance, maxBytes: number, o: { announced413?: boolean } = {}): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body))
  if (o.announced413)
    app.addHook('onRequest', async (request) => {
      const length = Number(request.headers['content-length'] ?? 0)
      if (length > maxBytes) throw new PayloadTooLargeError(maxBytes)
    })
}

/** The request's body once its signature checks out: 503 without a secret configured, 401 on a mismatch. */
export function signedBody(secret: string, request: FastifyRequest): Buffer {
  if (!secret) throw new CallbackNotConfiguredError()
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
  const header = request.headers['x-tamer-signature']
  if (!verifyCallbackSignature(secret, body, Array.isArray(header) ? header[0] : header))
    throw new BadSignatureError('X-Tamer-Signature does not match')
  return body
}
