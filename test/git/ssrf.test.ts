// Security issue #9, item 3: SSRF through the clone URL. Before the fix any signed push made the
// mirror connect over http://, git:// and ssh:// to loopback and internal addresses, and a `?x=`
// suffix gave the attacker the whole HTTP path. Now: https only by default, the host resolved
// before git runs and refused when any address is not public (unless git.allowPrivateHosts names
// it), git pinned to the checked addresses, no query strings. A plain TCP listener on 127.0.0.1
// counts every connection attempt.
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { validateCheckedConfig } from '../../src/compose/config.js'
import { isNonPublicAddress } from '../../src/git/address.js'
import { MirrorCache } from '../../src/git/mirror.js'
import { startTestApp, SECRETS, testConfig } from '../support/app.js'
import { githubPush, SHA_A, SHA_B } from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'
import { serveGit } from '../../src/demo/git-http-server.js'
import { gitAvailable, makeRepo, tempDir } from './repo.js'

const auth = { authorization: `Bearer ${SECRETS.api}` }

/** A TCP port that records whoever connects, and hangs up. */
async function listener(t: { teardown(fn: () => unknown): void }): Promise<{ port: number; connections: number }> {
  const seen = { port: 0, connections: 0 }
  const server: Server = createServer((socket) => {
    seen.connections++
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  seen.port = (server.address() as AddressInfo).port
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return seen
}

t.test('special-purpose addresses are not public (node:net BlockList)', async (t) => {
  for (const a of [
    '127.0.0.1',
    '127.9.9.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.100.100.200',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '198.18.0.1',
    '::',
    '::1',
    'fd00:ec2::254',
    'fc00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    'ff02::1',
    'not-an-address',
  ])
    t.ok(isNonPublicAddress(a), `${a} is refused`)
  for (const a of [
    '140.82.121.4',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2a01:111::1',
    '::ffff:140.82.121.4',
  ])
    t.notOk(isNonPublicAddress(a), `${a} is public`)
})

t.test('config: https only and no private host by default; what a host base may be', async (t) => {
  const c = validateCheckedConfig({})
  t.same(c.git.protocols, ['https'])
  t.same(c.git.allowPrivateHosts, [])
  t.same(
    c.git.hosts.map((h) => h.url),
    ['https://github.com', 'https://gitlab.com', 'https://bitbucket.org'],
  )
  const bad = (git: unknown) => () => validateCheckedConfig({ git })
  t.throws(bad({ hosts: [{ provider: 'gitlab', url: 'https://gitlab.example.com/?x=' }] }), {
    message: 'invalid config: git.hosts.0.url: must not contain a query or fragment',
  })
  t.throws(bad({ hosts: [{ provider: 'gitlab', url: 'https://oauth2:glpat-x@gitlab.example.com' }] }), {
    message: 'invalid config: git.hosts.0.url: must not contain a user or token; use git.credentials',
  })
  t.throws(bad({ hosts: [{ provider: 'gitlab', url: 'git://gitlab.example.com' }] }), {
    message: 'invalid config: git.hosts.0.url: must start with https://, http:// or ssh://',
  })
  t.throws(bad({ hosts: [{ provider: 'gitlab', url: 'http://gitlab.example.com' }] }), {
    message: 'invalid config: git.hosts.0.url: http is not in git.protocols (https)',
  })
  t.throws(bad({ protocols: ['git'] }), {
    message: /^invalid config: git\.protocols\.0: must be one of the allowed values/,
  })
  t.throws(bad({ allowPrivateHosts: ['http://10.0.0.1/'] }), {
    message: /^invalid config: git\.allowPrivateHosts\.0: must be a host name or address/,
  })
  t.ok(
    validateCheckedConfig({
      git: {
        protocols: ['https', 'ssh'],
        hosts: [{ provider: 'gitlab', url: 'ssh://git@gitlab.example.com:2222' }],
        allowPrivateHosts: ['gitlab.example.com', '10.0.0.5:8443', '[fd00::5]:443'],
      },
    }),
  )
})

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test('signed pushes naming internal addresses: the mirror never connects', async (t) => {
    const seen = await listener(t)
    const h = await startTestApp(t)
    const urls = [
      `http://127.0.0.1:${seen.port}/acme-ds/churn-model.git`,
      `git://127.0.0.1:${seen.port}/acme-ds/churn-model.git`,
      `ssh://git@127.0.0.1:${seen.port}/acme-ds/churn-model.git`,
      `http://127.0.0.1:${seen.port}/admin/reset?x=`,
      `https://localhost:${seen.port}/acme-ds/churn-model.git`,
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/?x=',
      'http://[fd00:ec2::254]/latest/meta-data/?x=',
    ]
    for (const clone_url of urls) {
      const payload = githubPush({ repository: { ...githubPush().repository, clone_url } })
      const d = signedGitHub('push', payload)
      const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
      t.equal(res.statusCode, 202, clone_url)
      const diff = await h.app.inject({ method: 'GET', url: `/api/diffs/${res.json().id}`, headers: auth })
      t.equal(diff.statusCode, 422, `${clone_url}: refused`)
      t.match(diff.json(), {
        code: 'TAMER_CLONE_URL_REFUSED',
        message:
          /acme-ds\/churn-model \(github\): the payload's clone URL is on \S+, which is not a git\.hosts entry for github/,
      })
    }
    t.equal(seen.connections, 0, 'nothing connected to the internal port')
  })

  t.test(
    'a configured host that resolves to loopback is refused after DNS, unless allowPrivateHosts names it',
    async (t) => {
      const seen = await listener(t)
      const base = `http://localhost:${seen.port}`
      const git = (extra: Record<string, unknown> = {}) => ({
        hosts: [{ provider: 'github', url: base }],
        protocols: ['http'],
        ...extra,
      })
      const payload = githubPush({
        repository: { ...githubPush().repository, clone_url: `${base}/acme-ds/churn-model.git` },
      })

      const closed = await startTestApp(t, { config: testConfig({ git: git() }) })
      const d = signedGitHub('push', payload)
      const id = (
        await closed.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
      ).json().id
      const refused = await closed.app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: auth })
      t.equal(refused.statusCode, 422)
      t.match(refused.json(), {
        code: 'TAMER_CLONE_URL_REFUSED',
        message: new RegExp(
          `localhost resolves to (127\\.0\\.0\\.1|::1), which is not a public address .*list "localhost:${seen.port}" in git\\.allowPrivateHosts`,
        ),
      })
      t.equal(seen.connections, 0, 'refused before git ran')

      const open = await startTestApp(t, {
        config: testConfig({ git: git({ allowPrivateHosts: [`localhost:${seen.port}`] }) }),
      })
      const d2 = signedGitHub('push', payload)
      const id2 = (
        await open.app.inject({ method: 'POST', url: '/hooks/github', headers: d2.headers, payload: d2.body })
      ).json().id
      const tried = await open.app.inject({ method: 'GET', url: `/api/diffs/${id2}`, headers: auth })
      t.equal(tried.json().code, 'TAMER_GIT_FAILED', 'allowed: git connected (and the listener hung up)')
      t.ok(seen.connections > 0)
    },
  )

  t.test('git connects to the addresses that were checked (http.curloptResolve), not to a second lookup', async (t) => {
    const repo = await makeRepo(t)
    const server = await serveGit({ projectRoot: repo.root })
    t.teardown(server.close)
    repo.write({ 'a.txt': 'a\n' })
    const c1 = await repo.commit('one')
    await repo.push('main')
    const port = new URL(server.url).port
    // `.test` never resolves (RFC 6761): git can only reach the server through the pinned address.
    const url = `http://git.tamer.test:${port}/remote.git`
    const resolve = async (name: string) =>
      name === 'git.tamer.test'
        ? [{ address: '127.0.0.1' }]
        : Promise.reject(Object.assign(new Error('no'), { code: 'ENOTFOUND' }))
    const mirrors = new MirrorCache({
      dir: tempDir(t, 'tamer-mirrors-'),
      allowProtocols: ['http'],
      allowPrivateHosts: ['git.tamer.test'],
      resolve,
    })
    const m = await mirrors.ensure(url, [c1])
    t.equal((await m.git.raw(['rev-parse', 'refs/heads/main'])).trim(), c1, 'cloned through the pinned address')

    for (const addresses of [
      ['169.254.169.254'],
      ['fd00:ec2::254'],
      ['93.184.215.14', '10.0.0.7'],
      ['::ffff:127.0.0.1'],
    ]) {
      const rebinding = new MirrorCache({
        dir: tempDir(t, 'tamer-mirrors-'),
        allowProtocols: ['http'],
        resolve: async () => addresses.map((address) => ({ address })),
      })
      await t.rejects(
        rebinding.ensure(url),
        {
          code: 'TAMER_CLONE_URL_REFUSED',
          message: new RegExp(
            `git\\.tamer\\.test resolves to ${addresses.find(isNonPublicAddress)!.replace(/\./g, '\\.')}, which is not a public address`,
          ),
        },
        addresses.join(', '),
      )
    }
    const unknown = new MirrorCache({ dir: tempDir(t, 'tamer-mirrors-'), allowProtocols: ['http'] })
    await t.rejects(unknown.ensure(url), { code: 'TAMER_GIT_FAILED', message: /cannot resolve git\.tamer\.test/ })
  })

  t.test('held: file://, ext::, -oProxyCommand, queries; and redirects are never followed', async (t) => {
    const dir = tempDir(t, 'tamer-held-')
    const canary = join(dir, 'pwned')
    const repo = await makeRepo(t)
    const mirrors = new MirrorCache({ dir: join(dir, 'mirrors'), allowProtocols: ['https', 'ssh'] })
    for (const [url, why] of [
      [repo.url, /protocol file is not allowed/],
      [`ext::sh -c touch% ${canary}`, /protocol ext is not allowed/],
      [`ssh://-oProxyCommand=touch%20${canary}/x/y.git`, /not a host name/],
      [`-oProxyCommand=touch ${canary}`, /is not a URL/],
      [`git@127.0.0.1:acme/x.git`, /is not a URL/],
      ['https://github.com/acme/x.git?x=/admin', /has no query or fragment/],
      ['https://github.com/acme/x.git#frag', /has no query or fragment/],
      ['http://github.com/acme/x.git', /protocol http is not allowed \(git\.protocols: https, ssh\)/],
      ['ssh://git@127.0.0.1:22/acme/x.git', /127\.0\.0\.1 is not a public address/],
      ['https://[::1]/acme/x.git', /\[::1\] is not a public address/],
      ['https://2130706433/acme/x.git', /127\.0\.0\.1 is not a public address/],
    ] as const)
      await t.rejects(mirrors.ensure(url, [SHA_A, SHA_B]), { code: 'TAMER_CLONE_URL_REFUSED', message: why }, url)
    t.notOk(existsSync(canary), 'no command ran')
  })
}
