// One definition of what is secret (src/security/secrets.ts), used everywhere text from outside
// is stored, shown or sent (issue #9, item 7): build logs and errors in the store and the API,
// notices, notification errors, stored headers, Jenkins parameters and log lines.
import { Writable } from 'node:stream'
import t from 'tap'
import { createLogger } from '../../src/logging.js'
import { createMask, MASK, maskDeep, maskSecrets, secretValues } from '../../src/security/secrets.js'
import { SECRETS, startTestApp, testConfig } from '../support/app.js'
import { startNotifyHarness } from '../support/notify/harness.js'
import { apiAuth, DS_RULE, startPipelineApp } from '../support/pipeline-app.js'
import * as P from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'

const GIT_PASSWORD = 'git-credential-token-0042'
const LINK_SECRET = 'diff-link-hmac-key-0042'
const GHS = 'ghs_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'
const secretConfig = {
  links: { secret: LINK_SECRET },
  git: { credentials: [{ url: 'https://github.com/acme-ds/', password: GIT_PASSWORD }] },
}

t.test('secretValues: every configured secret kind, and the spellings a log can show it in', async (t) => {
  const c = testConfig({
    ...secretConfig,
    providers: {
      github: { secrets: ['gh-1-secret'], repositories: [{ match: 'a/*', secrets: ['gh-repo-secret'] }] },
      gitlab: {
        tokens: ['gl-1-token'],
        signingTokens: ['whsec_c2lnbmluZy1rZXktb25l'],
        repositories: [{ match: 'a/*', tokens: ['gl-repo-token'], signingTokens: ['whsec_cmVwby1zaWduaW5n'] }],
      },
      bitbucket: { secrets: ['bb-1-secret'], repositories: [{ match: 'a/*', secrets: ['bb-repo-secret'] }] },
    },
    api: { tokens: ['api-token-plain', { token: 'api-token-scoped', tenants: ['risk'] }] },
    jenkins: { token: 'jenkins-api-token', callbackSecret: 'jenkins-callback' },
    notifications: {
      smtp: { url: 'smtp://mailer:smtp%40url-pass@mail.example.com:587', password: 'smtp-field-pass', user: 'mailer' },
      channels: [
        { name: 'slack', type: 'slack', url: 'https://hooks.slack.com/services/T0001/B0001/slackpathsecret0001' },
        {
          name: 'ops',
          type: 'webhook',
          url: 'https://ops.example.com/hook?token=opsquerytoken',
          secret: 'ops-hmac-key',
        },
      ],
      maskValues: ['extra-masked'],
    },
  })
  const values = secretValues(c)
  for (const v of [
    'gh-1-secret',
    'gh-repo-secret',
    'gl-1-token',
    'gl-repo-token',
    'whsec_c2lnbmluZy1rZXktb25l',
    'c2lnbmluZy1rZXktb25l',
    'cmVwby1zaWduaW5n',
    'bb-1-secret',
    'bb-repo-secret',
    'api-token-plain',
    'api-token-scoped',
    'jenkins-api-token',
    'jenkins-callback',
    LINK_SECRET,
    GIT_PASSWORD,
    'smtp-field-pass',
    'smtp@url-pass',
    'slackpathsecret0001',
    'opsquerytoken',
    'ops-hmac-key',
    'extra-masked',
  ])
    t.ok(values.includes(v), v)
  const text = maskSecrets(
    `a ${GIT_PASSWORD} b ${encodeURIComponent('smtp@url-pass')} c ${JSON.stringify('x"' + LINK_SECRET).slice(1, -1)} ${GHS} glpat-abcdefghijklmnopqrstu xoxb-1234567890-abc tmr_abcdefghijklmnopqrstuvwx`,
    values,
  )
  t.equal(text, `a ${MASK} b ${MASK} c x\\"${MASK} ${MASK} ${MASK} ${MASK} ${MASK}`)
  t.equal(
    maskSecrets('PassWord=hunter22 and API-KEY: abcd1234', []),
    `PassWord=${MASK} and API-KEY: ${MASK}`,
    'keywords in any case',
  )
  t.equal(
    maskSecrets('x gh-1-secret-and-more gh-1-secret', ['gh-1-secret', 'gh-1-secret-and-more']),
    `x ${MASK} ${MASK}`,
    'a secret containing another is masked whole',
  )
  const plain = '{"level":30,"msg":"request completed","res":{"statusCode":202}}'
  t.equal(maskSecrets(plain, values), plain, 'nothing to mask: unchanged')
})

t.test(
  'a build log and Jenkins errors: masked before they are stored, and again when the API shows them',
  async (t) => {
    const h = await startPipelineApp(t, { config: secretConfig })
    h.jenkins.control.setDefaultScenario({
      result: 'FAILURE',
      durationMs: 1000,
      stages: ['Checkout', 'Unit tests'],
      failingStage: 'Unit tests',
      extraLog: [`token is ${GIT_PASSWORD}`, `link key ${LINK_SECRET}`, `gh ${GHS}`],
    })
    await h.push()
    for (let i = 0; i < 5; i++) {
      await h.drain()
      h.advance(5_000)
    }
    const [b] = await h.builds()
    t.match(b, { state: 'finished', result: 'FAILURE' })
    for (const s of [GIT_PASSWORD, LINK_SECRET, GHS]) t.notMatch(b!.logTail, s, 'not stored')
    t.match(b!.logTail, `token is ${MASK}`)

    // A row stored before masking existed (or by a path that forgot it) is still masked when shown.
    await h.store.updateBuild(b!.id, { logTail: `old ${GIT_PASSWORD}`, lastError: `HTTP 401 for ${LINK_SECRET}` })
    const one = await h.app.inject({ method: 'GET', url: `/api/builds/${b!.id}`, headers: apiAuth() })
    t.equal(one.statusCode, 200)
    t.equal(one.json().logTail, `old ${MASK}`)
    t.equal(one.json().lastError, `HTTP 401 for ${MASK}`)
    const list = await h.app.inject({ method: 'GET', url: '/api/builds', headers: apiAuth() })
    t.equal(list.json().items[0].lastError, `HTTP 401 for ${MASK}`)
    t.notMatch(one.body + list.body, GIT_PASSWORD)
  },
)

t.test('Jenkins parameters never carry a Tamer secret', async (t) => {
  const rule = { ...DS_RULE, parameters: { NOTE: `key ${LINK_SECRET}` } }
  const h = await startPipelineApp(t, { config: secretConfig, rules: [rule] })
  await h.push({
    repository: {
      ...P.githubPush().repository,
      clone_url: `https://x-access-token:${GHS}@github.com/acme-ds/churn-model.git`,
    },
  })
  await h.drain()
  const trigger = h.jenkins.state.requests.find((r) => r.path.includes('buildWithParameters'))!
  const sent = new URLSearchParams(trigger.body)
  t.equal(sent.get('NOTE'), `key ${MASK}`)
  t.notMatch(trigger.body + trigger.path, GHS)
  t.notMatch(JSON.stringify((await h.builds())[0]!.parameters), LINK_SECRET, 'nor are they stored')
})

t.test('notices mask git credentials and the link secret (they were not before)', async (t) => {
  const n = await startNotifyHarness(t, () => ({ rules: [{ to: ['lead@example.com'] }] }), { config: secretConfig })
  await n.build('FAILURE', {}, [`git token ${GIT_PASSWORD}`, `link secret ${n.config.links.secret}`])
  t.equal(n.smtp.mails.length, 1)
  const mail = n.smtp.mails[0]!
  t.match(mail.parsed.text, `git token ${MASK}`)
  for (const s of [GIT_PASSWORD, n.config.links.secret])
    t.notMatch(`${mail.raw}\n${mail.parsed.text}\n${mail.parsed.html}`, s)
})

t.test('a notification error is masked when the API shows it', async (t) => {
  const n = await startNotifyHarness(
    t,
    ({ http }) => ({
      channels: [{ name: 'team', type: 'slack', url: `${http.url}/hook` }],
      rules: [{ culprits: false, channels: ['team'] }],
    }),
    { config: secretConfig },
  )
  n.http.answerNext({ status: 400, body: `no_such_token ${GIT_PASSWORD}` })
  await n.build('FAILURE')
  const [x] = await n.store.listNotifications({ limit: 5 })
  t.match(x, { state: 'dead', lastError: `HTTP 400: no_such_token ${MASK}` }, 'stored masked')
  // shown masked even when the stored text is not (a row from before, a secret added since)
  await n.store.updateNotification(x!.id, 'dead', { lastError: `HTTP 400: ${n.config.links.secret} ${GIT_PASSWORD}` })
  const res = await n.h.app.inject({
    method: 'GET',
    url: `/api/notifications/${x!.id}`,
    headers: { authorization: `Bearer ${SECRETS.api}` },
  })
  t.equal(res.json().lastError, `HTTP 400: ${MASK} ${MASK}`)
})

t.test('stored headers: authenticating headers dropped, token shapes in the others masked', async (t) => {
  const h = await startTestApp(t)
  const d = signedGitHub('push', P.githubPush())
  const headers = {
    ...d.headers,
    referer: 'https://bob:pa55w0rd-in-referer@github.example.com/hooks',
    'x-debug-trace': `sent with ${GHS}`,
    'x-forwarded-credential': 'abc',
  }
  const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers, payload: d.body })
  t.equal(res.statusCode, 202)
  const shown = await h.app.inject({
    method: 'GET',
    url: `/api/deliveries/${res.json().id}`,
    headers: { authorization: `Bearer ${SECRETS.api}` },
  })
  const stored = shown.json().headers
  t.equal(stored.referer, `https://${MASK}@github.example.com/hooks`)
  t.equal(stored['x-debug-trace'], `sent with ${MASK}`)
  t.notOk('x-forwarded-credential' in stored)
  t.notOk('x-hub-signature-256' in stored)
})

t.test('log lines: configured secrets are masked inside messages and errors, and the line stays JSON', async (t) => {
  const lines: string[] = []
  const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }), {
    secrets: secretValues(testConfig(secretConfig)),
  })
  logger.warn(
    { err: new Error(`git said: bad token ${GIT_PASSWORD}`), url: `https://x:${GHS}@github.com/a/b` },
    `clone failed (${LINK_SECRET})`,
  )
  logger.info(`quote "${GIT_PASSWORD}" and a backslash \\ ${LINK_SECRET}`)
  const out = lines.join('')
  for (const s of [GIT_PASSWORD, LINK_SECRET, GHS]) t.notMatch(out, s)
  const first = JSON.parse(lines[0]!)
  t.equal(first.msg, `clone failed (${MASK})`)
  t.match(first.err.message, `bad token ${MASK}`)
  t.equal(JSON.parse(lines[1]!).msg, `quote "${MASK}" and a backslash \\ ${MASK}`)
})

t.test(
  'maskDeep copies every key as a key: a `__proto__` from parsed JSON stays one and sets no prototype',
  async (t) => {
    const mask = createMask(['proto-secret-1'])
    const parsed = JSON.parse('{"__proto__":{"polluted":"proto-secret-1"},"a":["x proto-secret-1"],"n":1}') as object
    const out = maskDeep(parsed, mask) as Record<string, unknown>
    t.equal(Object.getPrototypeOf(out), Object.prototype, 'the prototype is untouched')
    t.same(Object.keys(out), ['__proto__', 'a', 'n'])
    t.notOk(JSON.stringify(out).includes('proto-secret-1'), 'masked inside the __proto__ key too')
    t.equal((out as { polluted?: unknown }).polluted, undefined)
  },
)
