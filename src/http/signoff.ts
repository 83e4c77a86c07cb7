// Sign-off (issue #15). POST /api/jenkins/signoff: the template's deploy stage, signed like the callback,
// says its build is about to wait on an `input`; Tamer asks the parties and answers who may submit it.
// GET /signoff/:id: a party's signed link opens a confirm page (a GET never acts: mail scanners and link
// previews fetch links). POST /signoff/:id: that page's form acts, with a CSRF token bound to the link and
// to a cookie the page set (SameSite=Strict, double submit).
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { BadSignoffError, MalformedBodyError } from '../errors.js'
import { cookieValue } from './cookies.js'
import type { SignoffLinks } from '../links/signoff-links.js'
import { escapeHtml } from '../notify/render/html-escape.js'
import { signoffLine } from '../notify/signoff-state.js'
import { SIGNOFF_INPUT_ID, type SignoffService } from '../signoff/service.js'
import type { SignoffRecord, SignoffStore } from '../store/signoffs.js'
import { keepRawBodies, signedBody } from './jenkins-signed.js'
import { errors, JenkinsSignature } from './schemas.js'

export interface SignoffRequestOptions {
  service: SignoffService
  secret: string
}

const ENVIRONMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$/

export const signoffRequestPlugin: FastifyPluginAsync<SignoffRequestOptions> = async (app, opts) => {
  keepRawBodies(app, 16 * 1024)
  app.post(
    '/api/jenkins/signoff',
    {
      schema: {
        summary: "The deploy stage waits on a Jenkins input: Tamer asks the sign-off parties (the template's call)",
        tags: ['jenkins'],
        headers: JenkinsSignature,
        body: {
          type: 'object',
          required: ['delivery_id', 'job', 'environment'],
          properties: {
            delivery_id: { type: 'string' },
            job: { type: 'string' },
            build_number: { type: 'integer' },
            environment: { type: 'string', description: 'the `.tamer.yml` signoff key, e.g. production' },
            input_id: { type: 'string', description: `the input step's id (default ${SIGNOFF_INPUT_ID})` },
            message: { type: 'string' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              signoffId: { type: 'string' },
              inputId: { type: 'string' },
              submitter: { type: 'string', description: "Tamer's Jenkins user: the input's only submitter" },
              parties: { type: 'array', items: { type: 'string' } },
              expiresAt: { type: 'string' },
              state: { type: 'string' },
              created: { type: 'boolean' },
            },
          },
          ...errors,
        },
      },
      // Documented, not validated by Fastify: the body stays the raw bytes the signature covers.
      validatorCompiler: () => () => true,
    },
    async (request) => {
      const raw = signedBody(opts.secret, request)
      let o: Record<string, unknown>
      try {
        o = JSON.parse(raw.toString('utf8')) as Record<string, unknown>
      } catch (err) {
        throw new MalformedBodyError((err as Error).message)
      }
      const str = (x: unknown) => (typeof x === 'string' ? x : null)
      const environment = str(o?.environment)
      if (!str(o?.delivery_id) || !str(o?.job) || !environment || !ENVIRONMENT.test(environment))
        throw new BadSignoffError('delivery_id, job and environment (letters, digits, _ . -) are required')
      const inputId = str(o.input_id) ?? SIGNOFF_INPUT_ID
      if (!/^[A-Za-z0-9_-]{1,100}$/.test(inputId)) throw new BadSignoffError('input_id: letters, digits, _ and -')
      const n = o.build_number
      const { signoff, created, submitter } = await opts.service.request({
        deliveryId: o.delivery_id as string,
        job: o.job as string,
        buildNumber: typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : null,
        environment,
        inputId,
        message: (str(o.message) ?? `Deploy to ${environment}?`).slice(0, 500),
      })
      return {
        signoffId: signoff.id,
        inputId: signoff.inputId,
        submitter,
        parties: signoff.parties.map((p) => p.party),
        expiresAt: new Date(signoff.expiresAt).toISOString(),
        state: signoff.state,
        created,
      }
    },
  )
}

export interface SignoffPagesOptions {
  service: SignoffService
  store: Pick<SignoffStore, 'getSignoff'>
  links: SignoffLinks
  /** Secure cookies when Tamer is reached over https. */
  secureCookie: boolean
}

/** No script, no outside resource; the form may post only back to Tamer. */
const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
const COOKIE = 'tamer_signoff_csrf'

interface LinkFields {
  party?: string
  decision?: string
  exp?: string
  sig?: string
}

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<title>${escapeHtml(title)} · Tamer</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}button{font-size:1em;padding:.5em 1.5em}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(html)
}

const p = (text: string) => `<p>${escapeHtml(text)}</p>`
const verb = (d: string) => (d === 'approved' ? 'approve' : 'reject')

export const signoffPagesPlugin: FastifyPluginAsync<SignoffPagesOptions> = async (app, opts) => {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 8 * 1024 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  )

  /** The link's checks every answer shares: signature, expiry, the sign-off, the party. */
  async function open(
    reply: FastifyReply,
    id: string,
    f: LinkFields,
  ): Promise<{ s: SignoffRecord; party: string; decision: 'approved' | 'rejected' } | null> {
    // A refusal is answered here; the caller sees null and answers nothing more.
    const refuse = (status: number, title: string, html: string) => (page(reply, status, title, html), null)
    const check = opts.links.check(f, id)
    if (check === 'bad-signature')
      return refuse(403, 'This link is not valid', p('It was changed or was not made by Tamer. Nothing was recorded.'))
    if (check === 'expired')
      return refuse(
        410,
        'This link has expired',
        p(
          `It worked until ${new Date(Number(f.exp) * 1000).toISOString()}. Nothing was recorded; ask for a new sign-off.`,
        ),
      )
    const s = await opts.store.getSignoff(id)
    if (!s) return refuse(404, 'No such sign-off', p('Nothing was recorded.'))
    const party = f.party!
    const mine = s.parties.find((x) => x.party === party)
    if (!mine)
      return refuse(
        403,
        'You are not a party of this sign-off',
        p(`${party} is not among its parties. Nothing was recorded.`),
      )
    if (mine.decision !== null)
      return refuse(
        409,
        'This link was already used',
        p(`${party} chose to ${verb(mine.decision)} at ${mine.decidedAt}. A decision is made once; nothing changed.`) +
          p(signoffLine(s)),
      )
    if (s.state !== 'waiting')
      return refuse(409, 'This sign-off is already decided', p(signoffLine(s)) + p('Nothing was recorded.'))
    return { s, party, decision: f.decision as 'approved' | 'rejected' }
  }

  app.get<{ Params: { id: string }; Querystring: LinkFields }>(
    '/signoff/:id',
    {
      schema: {
        summary:
          "A sign-off link's confirm page (never acts); a refused link is an HTML page with 403, 404, 409 or 410",
        tags: ['pages'],
        response: {
          200: {
            description: 'the confirm page, with a form and its CSRF cookie',
            content: { 'text/html': { schema: { type: 'string' } } },
          },
          // The link's refusals are pages for a person; a malformed request is the usual coded JSON.
          '4xx': {
            description: 'a refused link (HTML page) or a malformed request (TamerError)',
            content: { 'text/html': { schema: { type: 'string' } }, 'application/json': { schema: errors['4xx'] } },
          },
          '5xx': errors['5xx'],
        },

        params: { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] },
        querystring: {
          type: 'object',
          properties: {
            party: { type: 'string', maxLength: 254 },
            decision: { type: 'string', maxLength: 20 },
            exp: { type: 'string', maxLength: 20 },
            sig: { type: 'string', maxLength: 100 },
          },
        },
      },
    },
    async (request, reply) => {
      const id = request.params.id
      const r = await open(reply, id, request.query)
      if (!r) return reply
      const q = request.query
      const l = { signoffId: id, party: r.party, decision: r.decision, exp: q.exp! }
      const csrf = opts.links.csrfFor(l)
      const hidden = Object.entries({
        party: r.party,
        decision: r.decision,
        exp: q.exp!,
        sig: q.sig!,
        csrf: csrf.token,
      })
        .map(([k, v]) => `<input type="hidden" name="${k}" value="${escapeHtml(v)}">`)
        .join('')
      void reply.header(
        'set-cookie',
        `${COOKIE}=${csrf.cookie}; Path=/signoff/; HttpOnly; SameSite=Strict; Max-Age=3600${opts.secureCookie ? '; Secure' : ''}`,
      )
      return page(
        reply,
        200,
        `${r.decision === 'approved' ? 'Approve' : 'Reject'} the ${r.s.environment} deployment?`,
        p(`You are signing off as ${r.party}. ${r.s.message}`) +
          p(signoffLine(r.s)) +
          `<form method="post" action="${escapeHtml(encodeURIComponent(id))}">${hidden}<button type="submit">${
            r.decision === 'approved' ? 'Approve' : 'Reject'
          }</button></form>`,
      )
    },
  )

  app.post<{ Params: { id: string }; Body: LinkFields & { csrf?: string } }>(
    '/signoff/:id',
    {
      schema: {
        summary: "A party's decision, from the confirm page's form; refused (403 without the CSRF token), an HTML page",
        tags: ['pages'],
        response: {
          200: { description: 'the decision recorded', content: { 'text/html': { schema: { type: 'string' } } } },
          // The link's refusals are pages for a person; a malformed request is the usual coded JSON.
          '4xx': {
            description: 'a refused link (HTML page) or a malformed request (TamerError)',
            content: { 'text/html': { schema: { type: 'string' } }, 'application/json': { schema: errors['4xx'] } },
          },
          '5xx': errors['5xx'],
        },

        params: { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] },
      },
    },
    async (request, reply) => {
      const id = request.params.id
      const f = (request.body ?? {}) as LinkFields & { csrf?: string }
      const l = { signoffId: id, party: f.party ?? '', decision: f.decision ?? '', exp: f.exp ?? '' }
      // Before anything is looked up: a POST that did not come from the confirm page acts on nothing.
      if (!opts.links.csrfValid(l, cookieValue(request.headers.cookie, COOKIE), f.csrf))
        return page(
          reply,
          403,
          'This form was not sent from Tamer’s page',
          p('Its CSRF token is missing or does not match. Nothing was recorded: open the link from the mail again.'),
        )
      const r = await open(reply, id, f)
      if (!r) return reply
      const done = await opts.service.decide(id, r.party, r.decision)
      if (done.outcome !== 'recorded' || !done.signoff)
        return page(reply, 409, 'Nothing was recorded', p(`The sign-off answered: ${done.outcome}.`))
      const s = done.signoff
      const next =
        s.state === 'waiting'
          ? 'The deployment waits for the other parties.'
          : s.jenkinsAction
            ? `Jenkins was told to ${s.jenkinsAction === 'proceed' ? 'proceed with' : 'abort'} the deployment.`
            : `Tamer is telling Jenkins to ${s.state === 'approved' ? 'proceed' : 'abort'} (retried until it answers).`
      return page(
        reply,
        200,
        `You chose to ${verb(r.decision)}`,
        p(`Recorded for ${r.party}.`) + p(signoffLine(s)) + p(next),
      )
    },
  )
}
