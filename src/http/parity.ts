// The dev/prod parity gate's routes (issue #15 item 3), signed like the callback
// (`X-Tamer-Signature: sha256=<HMAC-SHA256 of the exact body>` with jenkins.callbackSecret):
// POST /api/jenkins/parity/plan answers what the template runs inside the image it built (`.tamer.yml`'s
// parity section at the build's commit); POST /api/jenkins/parity takes the image's predictions and
// `pip freeze` and answers the comparison, which the template's stage prints and fails on.
import type { FastifyPluginAsync } from 'fastify'
import { BadParityError, NotFoundError } from '../errors.js'
import type { ParityGate } from '../parity/gate.js'
import { keepRawBodies, signedBody } from './jenkins-signed.js'
import { ParityResultSchema } from './parity-schema.js'
import { errors, JenkinsSignature } from './schemas.js'

export interface ParityIntakeOptions {
  gate: ParityGate
  secret: string
  maxBodyBytes: number
}

const Envelope = {
  delivery_id: { type: 'string' },
  job: { type: 'string' },
  build_number: { type: 'integer' },
} as const

function readBody(raw: Buffer): Record<string, unknown> {
  let v: unknown
  try {
    v = JSON.parse(raw.toString('utf8'))
  } catch (err) {
    throw new BadParityError(`the body is not JSON: ${(err as Error).message}`)
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BadParityError('the body is not a JSON object')
  const o = v as Record<string, unknown>
  if (typeof o.delivery_id !== 'string' || typeof o.job !== 'string')
    throw new BadParityError('delivery_id and job are required strings')
  return o
}

export const parityIntakePlugin: FastifyPluginAsync<ParityIntakeOptions> = async (app, opts) => {
  keepRawBodies(app, opts.maxBodyBytes, { announced413: true })

  app.post(
    '/api/jenkins/parity/plan',
    {
      schema: {
        summary: "What the data-science template's parity stage runs inside the built image (.tamer.yml's parity)",
        tags: ['jenkins'],
        headers: JenkinsSignature,
        body: { type: 'object', required: ['delivery_id', 'job'], properties: Envelope },
        response: {
          200: {
            type: 'object',
            properties: {
              enabled: { type: 'boolean' },
              buildId: { type: 'string' },
              input: { type: 'string', nullable: true },
              command: { type: 'string', nullable: true },
            },
          },
          ...errors,
        },
      },
      validatorCompiler: () => () => true,
    },
    async (request) => {
      const o = readBody(signedBody(opts.secret, request))
      const plan = await opts.gate.plan({ deliveryId: o.delivery_id as string, job: o.job as string })
      if (!plan) throw new NotFoundError('build')
      const p = plan.parity
      return { enabled: p !== null, buildId: plan.build.id, input: p?.input ?? null, command: p?.command ?? null }
    },
  )

  app.post(
    '/api/jenkins/parity',
    {
      schema: {
        summary: "The image's predictions on the reference input and its pip freeze; answers the parity verdict",
        tags: ['jenkins'],
        headers: JenkinsSignature,
        body: {
          type: 'object',
          required: ['delivery_id', 'job', 'predictions'],
          properties: {
            ...Envelope,
            predictions: { type: 'string', description: 'CSV with a header row' },
            packages: { type: 'string', nullable: true, description: "the image's `pip freeze` output" },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              verdict: { type: 'string', enum: ['pass', 'fail'] },
              buildId: { type: 'string' },
              ...ParityResultSchema.properties,
            },
          },
          ...errors,
        },
      },
      // Documented, not validated by Fastify: the body stays the raw bytes the signature covers.
      validatorCompiler: () => () => true,
    },
    async (request) => {
      const o = readBody(signedBody(opts.secret, request))
      if (typeof o.predictions !== 'string') throw new BadParityError('predictions must be the CSV text, a string')
      if (o.packages !== undefined && o.packages !== null && typeof o.packages !== 'string')
        throw new BadParityError("packages must be the image's pip freeze output, a string")
      const answer = await opts.gate.report({
        deliveryId: o.delivery_id as string,
        job: o.job as string,
        buildNumber: typeof o.build_number === 'number' && Number.isInteger(o.build_number) ? o.build_number : null,
        predictions: o.predictions,
        packages: typeof o.packages === 'string' ? o.packages : null,
      })
      if (!answer) throw new NotFoundError('build')
      return { verdict: answer.result.pass ? 'pass' : 'fail', buildId: answer.build.id, ...answer.result }
    },
  )
}
