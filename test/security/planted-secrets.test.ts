// The planted-secret test (issue #9): a distinct value for every kind of secret Tamer holds, a
// full push → build → failure → notice flow whose console log prints every one of them, and then
// a scan of everything Tamer wrote or sent for any of them: its logs, the whole SQLite file, its
// API responses and pages, the mails, the chat payloads and the Jenkins parameters.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import t from 'tap'
import { checkConfig } from '../../src/compose/config.js'
import { composeService } from '../../src/compose/index.js'
import { createLogger } from '../../src/logging.js'
import { nativeEngine } from '../../src/engines/engine.js'
import { manualTimers } from '../../src/work/timers.js'
import { createToken } from '../../src/access/tokens.js'
import { masterKeysFromEnv } from '../../src/security/master-key.js'
import { secretValues } from '../../src/security/secrets.js'
import { setSecret, withStoredSecrets } from '../../src/secrets/stored.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { testConfig } from '../support/app.js'
import { ManualClock, startJenkinsEmulator } from '../../src/demo/jenkins-emulator/index.js'
import { startHttpPeer, startSmtpPeer } from '../support/notify/peers.js'
import { githubPush } from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'

/** A value no text could hold by chance; its core is what the scan looks for. */
const core = () => randomBytes(12).toString('hex')
const plant = (kind: string) => {
  const c = core()
  return { kind, value: `plant-${kind}-${c}`, core: c }
}
const signing = () => {
  const key = randomBytes(24).toString('base64')
  return { kind: 'gitlab-signing', value: `whsec_${key}`, core: key }
}

t.test('no planted secret leaves Tamer: logs, SQLite, API, pages, mails, chat, Jenkins', async (t) => {
  const P = {
    github: plant('github-secret'),
    githubRepo: plant('github-repo-secret'),
    gitlab: plant('gitlab-token'),
    gitlabRepo: plant('gitlab-repo-token'),
    gitlabSigning: signing(),
    gitlabRepoSigning: { ...signing(), kind: 'gitlab-repo-signing' },
    bitbucket: plant('bitbucket-secret'),
    bitbucketRepo: plant('bitbucket-repo-secret'),
    api: plant('api-token'),
    jenkinsToken: plant('jenkins-token'),
    callback: plant('callback-secret'),
    link: plant('link-secret'),
    gitPassword: plant('git-password'),
    gitPassword2: plant('git-password-two'),
    smtpPassword: plant('smtp-password'),
    smtpUrlPassword: plant('smtp-url-password'),
    slackPath: plant('slack-path'),
    teamsSig: plant('teams-sig'),
    chatKey: plant('google-chat-key'),
    chatToken: plant('google-chat-token'),
    mattermostPath: plant('mattermost-path'),
    webhookQuery: plant('webhook-query'),
    webhookSecret: plant('webhook-hmac'),
    maskValue: plant('mask-value'),
    // Sealed in the store under the master key, as `tamer secrets set` keeps them.
    storedGit: plant('stored-git-credential'),
    storedCallbackLink: plant('stored-link-secret'),
    masterKey: (() => {
      const key = randomBytes(32).toString('base64')
      return { kind: 'master-key', value: key, core: key }
    })(),
    // Made by `tamer tokens create`: stored hashed, used for the API reads below.
    storedToken: { kind: 'stored-api-token', value: '', core: '' },
  }
  const planted = Object.values(P)

  const clock = new ManualClock()
  const jenkins = await startJenkinsEmulator({
    clock,
    quietPeriodSec: 0,
    users: [{ id: 'tamer', apiToken: P.jenkinsToken.value }],
  })
  const smtp = await startSmtpPeer({ auth: { user: 'tamer-mailer', pass: P.smtpPassword.value } })
  const chat = await startHttpPeer()
  const dir = mkdtempSync(join(tmpdir(), 'tamer-planted-'))
  t.teardown(async () => {
    await jenkins.close()
    await smtp.close()
    await chat.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const loaded = testConfig({
    dataDir: dir,
    api: { tokens: [P.api.value] },
    providers: {
      github: { secrets: [P.github.value], repositories: [{ match: 'acme-ds/*', secrets: [P.githubRepo.value] }] },
      gitlab: {
        tokens: [P.gitlab.value],
        signingTokens: [P.gitlabSigning.value],
        repositories: [
          { match: 'acme-ds/*', tokens: [P.gitlabRepo.value], signingTokens: [P.gitlabRepoSigning.value] },
        ],
      },
      bitbucket: {
        secrets: [P.bitbucket.value],
        repositories: [{ match: 'acme-ds/*', secrets: [P.bitbucketRepo.value] }],
      },
    },
    jenkins: {
      url: jenkins.url,
      user: 'tamer',
      token: P.jenkinsToken.value,
      callbackSecret: P.callback.value,
      publicUrl: 'https://tamer.example.com',
    },
    links: { secret: P.link.value },
    git: {
      credentials: [
        { url: 'https://github.com/acme-ds/', password: P.gitPassword.value },
        { url: 'https://gitlab.example.com/risk/', username: 'oauth2', password: P.gitPassword2.value },
      ],
    },
    // An operator who pasted a secret into a rule's parameters: it must not reach Jenkins either.
    rules: [
      {
        name: 'ds',
        repository: 'acme-ds/*',
        branch: 'main',
        events: ['push'],
        template: 'tests-only',
        job: 'ds/{repo}',
        parameters: { NOTE: `deploy key ${P.maskValue.value}` },
      },
    ],
    notifications: {
      smtp: {
        url: `smtp://tamer-mailer:${P.smtpUrlPassword.value}@127.0.0.1:${smtp.port}`,
        user: 'tamer-mailer',
        password: P.smtpPassword.value,
        from: 'Tamer <ci@tamer.example.com>',
        timeoutMs: 5000,
      },
      channels: [
        { name: 'slack', type: 'slack', url: `${chat.url}/services/${P.slackPath.value}` },
        {
          name: 'teams',
          type: 'teams',
          url: `${chat.url}/workflows/x/triggers/manual/paths/invoke?api-version=1&sig=${P.teamsSig.value}`,
        },
        {
          name: 'gchat',
          type: 'google-chat',
          url: `${chat.url}/v1/spaces/AAA/messages?key=${P.chatKey.value}&token=${P.chatToken.value}`,
        },
        { name: 'mm', type: 'mattermost', url: `${chat.url}/hooks/${P.mattermostPath.value}` },
        {
          name: 'ops',
          type: 'webhook',
          url: `${chat.url}/ops?auth=${P.webhookQuery.value}`,
          secret: P.webhookSecret.value,
        },
      ],
      rules: [{ to: ['lead@example.com'], culprits: false, channels: ['slack', 'teams', 'gchat', 'mm', 'ops'] }],
      maskValues: [P.maskValue.value],
    },
  })

  const logs: string[] = []
  const sink = new Writable({ write: (c, _e, cb) => (logs.push(c.toString()), cb()) })
  // As `tamer serve` makes it.
  const store = openSqliteStore({ file: join(dir, 'tamer.db') })
  // As `tamer serve` starts: the loaded config plus the secrets sealed in the store.
  const keys = masterKeysFromEnv({ TAMER_MASTER_KEY: P.masterKey.value })
  await setSecret(
    loaded,
    store,
    keys,
    { name: 'ds-git', kind: 'git-credential', tenant: null, url: 'https://github.example.com/ds/', username: 'bot' },
    P.storedGit.value,
    'cli:test',
  )
  await setSecret(
    loaded,
    store,
    keys,
    { name: 'link', kind: 'link-secret', tenant: null, url: null, username: null },
    P.storedCallbackLink.value,
    'cli:test',
  )
  const config = checkConfig(await withStoredSecrets(loaded, store, keys))
  const { token } = await createToken(store, { name: 'planted reader', access: 'admin', tenants: null }, 'cli:test')
  P.storedToken.value = token
  P.storedToken.core = token.slice(4)
  const logger = createLogger('debug', sink, { secrets: secretValues(config) })
  // The in-process engine, as the diff pages had before; everything else as serve composes it.
  const { app, pipeline, notifier } = await composeService(config, {
    store,
    logger,
    now: () => clock.now(),
    timers: manualTimers,
    diffEngine: nativeEngine,
  })
  await app.ready()
  let closed = false
  t.teardown(async () => {
    if (!closed) {
      await app.close()
      await store.close()
    }
  })

  // Every secret in the console: as is, in URLs, after `password=`, percent-encoded, in JSON.
  const consoleLines = planted.flatMap((p) => [
    `+ echo ${p.value}`,
    `curl https://ci:${p.value}@artifacts.example.com/upload`,
    `export PASSWORD=${p.value}`,
    `debug: {"secret": ${JSON.stringify(p.value)}} ${encodeURIComponent(p.value)}`,
  ])
  jenkins.control.setDefaultScenario({
    result: 'FAILURE',
    durationMs: 4000,
    stages: ['Checkout', 'Unit tests'],
    failingStage: 'Unit tests',
    extraLog: consoleLines,
    tests: { total: 3, failed: 1, skipped: 0 },
  })
  // One chat peer refuses, quoting what it was sent: the error is stored and shown.
  chat.answerNext({ status: 400, body: `invalid_payload: ${P.gitPassword.value} ${P.link.value}` })

  const push = signedGitHub('push', githubPush(), { secret: P.githubRepo.value })
  const accepted = await app.inject({ method: 'POST', url: '/hooks/github', headers: push.headers, payload: push.body })
  t.equal(accepted.statusCode, 202, accepted.body)
  const deliveryId = accepted.json().id as string
  for (let i = 0; i < 8; i++) {
    await pipeline.drain()
    jenkins.control.advance(5_000)
  }
  await pipeline.drain()
  await notifier.drain()

  const [build] = await store.listBuilds({ limit: 5 })
  t.match(build, { state: 'finished', result: 'FAILURE' }, 'the build ran and failed')
  t.ok(smtp.mails.length >= 1, 'a mail was sent')
  t.ok(chat.requests.length >= 5, 'every chat channel was called')
  t.ok(
    jenkins.state.requests.some((r) => /buildWithParameters/.test(r.path)),
    'Jenkins was triggered',
  )

  // Read everything back as the outside world sees it.
  const auth = { authorization: `Bearer ${P.storedToken.value}` }
  const get = async (url: string, headers: Record<string, string> = auth) => {
    const res = await app.inject({ method: 'GET', url, headers })
    return `${url} → ${res.statusCode}\n${res.body}`
  }
  const notifications = await store.listNotifications({ limit: 20 })
  const api = [
    await get('/api/deliveries'),
    await get(`/api/deliveries/${deliveryId}`),
    await get('/api/builds'),
    await get(`/api/builds/${build!.id}`),
    await get('/api/notifications'),
    await get('/api/audit'),
    await get('/api/tokens'),
    ...(await Promise.all(notifications.map((n) => get(`/api/notifications/${n.id}`)))),
    await get(`/api/diffs/${deliveryId}`),
    await get(`/diffs/${deliveryId}`),
  ]
  const diffUrl = build!.parameters.DIFF_URL
  t.ok(diffUrl, 'a signed diff link was made')
  api.push(await get(new URL(diffUrl!).pathname + new URL(diffUrl!).search, {}))
  t.ok(
    notifications.some((n) => n.lastError),
    'a send error was stored',
  )

  await app.close()
  await store.close()
  closed = true
  const files = ['', '-wal', '-shm'].map((s) => join(dir, `tamer.db${s}`)).filter((f) => existsSync(f))

  const mails = smtp.mails.flatMap((m) => [
    m.raw,
    m.parsed.text ?? '',
    typeof m.parsed.html === 'string' ? m.parsed.html : '',
    m.parsed.subject ?? '',
  ])
  const jenkinsSent = jenkins.state.requests.flatMap((r) => [
    r.path,
    decodeURIComponent(r.path),
    r.body,
    safeDecode(r.body),
  ])
  const places: [string, string[]][] = [
    ['logs', logs],
    ['SQLite file', files.map((f) => readFileSync(f).toString('latin1'))],
    ['API responses and pages', api],
    ['mails', mails],
    ['chat payloads', chat.requests.map((r) => r.raw)],
    ['Jenkins requests (parameters, job configs)', jenkinsSent],
  ]
  for (const [where, texts] of places) {
    const leaked = planted.filter((p) => texts.some((x) => x.includes(p.core)))
    t.same(
      leaked.map((p) => p.kind),
      [],
      `no planted secret in ${where}`,
    )
  }
  t.ok(logs.length > 20, 'the logs were captured')
})

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return s
  }
}
