// POST /api/jenkins/callback: the templates' post block reports a build's end,
// signed `X-Tamer-Signature: sha256=<HMAC-SHA256 of the exact body>`.
import type { FastifyPluginAsync } from 'fastify'
import { BadPayloadError, MalformedBodyError, NotFoundError } from '../errors.js'
import type { CallbackBody, Pipeline } from '../pipeline/index.js'
import type { ManualReport } from '../pipeline/runs.js'
import { keepRawBodies, signedBody } from './jenkins-signed.js'
import { errors, JenkinsSignature } from './schemas.js'

export interface CallbackPluginOptions {
  pipeline: Pipeline
  secret: string
  /**
   * A build started by hand in Jenkins (an empty DELIVERY_ID): recorded as a run of the picked branch (issue #14);
   * false when Tamer knows no build of that job.
   */
  manual?: (report: ManualReport) => Promise<boolean>
}

function parse(raw: Buffer): CallbackBody & { branch: string | null; commit_sha: string | null } {
  let v: unknown
  try {
    v = JSON.parse(raw.toString('utf8'))
  } catch (err) {
    throw new MalformedBodyError((err as Error).message)
  }
  const o = v as Record<string, unknown>
  if (typeof o !== 'object' || o === null || typeof o.delivery_id !== 'string' || typeof o.job !== 'string')
    throw new BadPayloadError('delivery_id and job are required strings')
  const str = (x: unknown) => (typeof x === 'string' ? x : null)
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null)
  return {
    delivery_id: o.delivery_id,
    job: o.job,
    build_number: num(o.build_number) ?? undefined,
    build_url: str(o.build_url) ?? undefined,
    result: str(o.result),
    failed_stage: str(o.failed_stage),
    duration_ms: num(o.duration_ms),
    branch: str(o.branch),
    commit_sha: str(o.commit_sha),
  }
}

/** Documented, not validated by Fastify: the body stays the raw bytes the signature covers. */
const CallbackSchema = {
  summary: "A build's end, from the templates' post block",
  tags: ['jenkins'],
  headers: JenkinsSignature,
  body: {
    type: 'object',
    required: ['delivery_id', 'job'],
    properties: {
      delivery_id: { type: 'string' },
      job: { type: 'string' },
      build_number: { type: 'number' },
      build_url: { type: 'string' },
      result: { type: 'string', nullable: true },
      failed_stage: { type: 'string', nullable: true },
      duration_ms: { type: 'number', nullable: true },
      branch: { type: 'string', description: 'BRANCH; with an empty delivery_id, the branch picked by hand' },
      commit_sha: { type: 'string', description: 'the commit the build checked out' },
    },
  },
  response: { 202: { type: 'object', properties: { accepted: { type: 'boolean' } } }, ...errors },
}

export const callbackPlugin: FastifyPluginAsync<CallbackPluginOptions> = async (app, opts) => {
  keepRawBodies(app, 64 * 1024)
  app.post(
    '/api/jenkins/callback',
    { schema: CallbackSchema, validatorCompiler: () => () => true },
    async (request, reply) => {
      const body = parse(signedBody(opts.secret, request))
      if (body.delivery_id === '') {
        // Started by hand in Jenkins with a picked branch: a manual build of that branch's head.
        const n = body.build_number
        if (!opts.manual || !body.branch || n === undefined) throw new NotFoundError('build')
        const report = { job: body.job, buildNumber: n, buildUrl: body.build_url ?? null }
        if (!(await opts.manual({ ...report, branch: body.branch, commitSha: body.commit_sha })))
          throw new NotFoundError(`job ${body.job}`)
        request.log.info({ job: body.job, buildNumber: n }, 'Jenkins callback of a build started by hand')
        return reply.code(202).send({ accepted: true })
      }
      if (!(await opts.pipeline.callback(body))) throw new NotFoundError('build')
      request.log.info({ job: body.job, deliveryParam: body.delivery_id, result: body.result }, 'Jenkins callback')
      return reply.code(202).send({ accepted: true })
    },
  )
}
