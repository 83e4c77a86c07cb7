// Private repositories over HTTPS-style Basic auth, against a real `git http-backend`: credentials
// by URL prefix reach the server and nothing else — not argv, not the mirror on disk, not errors,
// not another host after a redirect, not a URL that merely starts with the same letters. The
// server is on 127.0.0.1, so every cache here lists it in allowPrivateHosts (never a default).
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { GitCredential } from '../../src/git/credentials.js'
import { MirrorCache } from '../../src/git/mirror.js'
import { diffPush } from '../../src/diffs/push-diff.js'
import { nativeEngine } from '../../src/engines/engine.js'
import { code, notebook, stream } from '../notebooks/fixtures.js'
import { serveGit } from '../../src/demo/git-http-server.js'
import { gitAvailable, makeRepo, tempDir } from './repo.js'

const USERNAME = 'x-access-token'
const TOKEN = 'ghp_TamerPrivateRepoToken0123456789'
const BASIC = Buffer.from(`${USERNAME}:${TOKEN}`).toString('base64')
const nb = (src: string, out: string) => JSON.stringify(notebook([code('c1', src, [stream(out)], 1)]), null, 1)

/** Every file under `dir` that contains one of `secrets` (symlinks not followed). */
function filesContaining(dir: string, secrets: readonly string[]): string[] {
  const hits: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name)
    if (!entry.isFile()) continue
    const text = readFileSync(path).toString('latin1')
    if (secrets.some((s) => text.includes(s))) hits.push(path)
  }
  return hits
}

/** Command lines of every process we can see that contain a secret (the `ps` view). */
function argvContaining(secrets: readonly string[]): string[] {
  const hits: string[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`).toString('utf8').replace(/\0/g, ' ')
      if (secrets.some((s) => argv.includes(s))) hits.push(`${pid} ${readlinkSync(`/proc/${pid}/exe`)}`)
    } catch {
      // The process ended while we looked.
    }
  }
  return hits
}

const hasProc = (() => {
  try {
    return statSync('/proc/self/cmdline').isFile()
  } catch {
    return false
  }
})()

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  const repo = await makeRepo(t)
  repo.write({ 'train.ipynb': nb('acc = fit(model)\nprint(acc)', 'accuracy: 0.91\n'), 'README.md': 'private\n' })
  const c1 = await repo.commit('first')
  repo.write({ 'train.ipynb': nb('acc = fit(model, epochs=5)\nprint(acc)', 'accuracy: 0.93\n') })
  const c2 = await repo.commit('second')
  await repo.push('main')

  // While git talks to the server, its helpers (git-remote-http …) are alive: look at their argv then.
  const argvLeaks: string[] = []
  const server = await serveGit({
    projectRoot: repo.root,
    auth: { username: USERNAME, password: TOKEN },
    onRequest: () => {
      if (hasProc) argvLeaks.push(...argvContaining([TOKEN, BASIC]))
    },
  })
  t.teardown(server.close)
  const url = `${server.url}/remote.git`
  const credential: GitCredential = { url: `${server.url}/`, username: USERNAME, password: TOKEN }
  const local = { allowProtocols: ['http'], allowPrivateHosts: [new URL(server.url).host] }
  const mirrorCache = (t: Parameters<typeof tempDir>[0], credentials?: GitCredential[], extra: string[] = []) =>
    new MirrorCache({
      dir: tempDir(t, 'tamer-mirrors-'),
      ...local,
      allowPrivateHosts: [...local.allowPrivateHosts, ...extra],
      credentials,
    })
  const request = (cloneUrl: string, before: string, after: string) => ({
    cloneUrl,
    repository: 'acme/private',
    ref: 'refs/heads/main',
    before,
    after,
    defaultBranch: 'main',
  })

  t.test('without credentials: a clear authentication error, no mirror left behind', async (t) => {
    const mirrors = mirrorCache(t)
    const err = await mirrors.ensure(url).then(
      () => undefined,
      (e: Error) => e,
    )
    t.match(err, { code: 'TAMER_GIT_FAILED', statusCode: 502 })
    t.equal(err?.message, `git failed: authentication failed for ${url}: no git.credentials entry covers this URL`)
    t.throws(() => statSync(mirrors.pathFor(url)), { code: 'ENOENT' }, 'the failed clone is removed')
    t.ok(server.requests.length > 0 && server.requests.every((r) => r.authorization === undefined))
  })

  t.test(
    'with credentials: clone, diff with lazily fetched blobs, incremental fetch; the token only in the header',
    async (t) => {
      const dataDir = tempDir(t, 'tamer-data-')
      const mirrors = new MirrorCache({ dir: join(dataDir, 'mirrors'), ...local, credentials: [credential] })
      server.requests.length = 0
      argvLeaks.length = 0

      const push = await diffPush(mirrors, nativeEngine, request(url, c1, c2))
      t.match(push.files, [
        { path: 'train.ipynb', kind: 'notebook', summary: { cellsModified: 1, sourcesChanged: 1, outputsChanged: 1 } },
      ])
      const mirror = await mirrors.ensure(url)
      t.equal(
        mirror.partial,
        true,
        'a partial clone: the diff fetched its blobs on demand, through the same credential',
      )

      repo.write({ 'README.md': 'private, later\n' })
      const c3 = await repo.commit('third')
      await repo.push('main')
      const again = await mirrors.ensure(url, [c3])
      t.equal(again.path, mirror.path)
      t.equal((await again.git.raw(['rev-parse', 'refs/heads/main'])).trim(), c3, 'fetched incrementally')

      t.ok(server.requests.length >= 4, 'clone, lazy blob fetches and the fetch all went to the server')
      t.same(
        new Set(server.requests.map((r) => r.authorization)),
        new Set([`Basic ${BASIC}`]),
        'every request carried the configured credential',
      )
      t.same(filesContaining(dataDir, [TOKEN, BASIC]), [], 'nothing under dataDir holds the token')
      t.notMatch(readFileSync(join(mirror.path, 'config'), 'utf8'), /extraheader|authorization/i)
      if (hasProc) t.same(argvLeaks, [], 'no process had the token in its argv while git ran')
      t.equal(
        mirrors.pathFor(url),
        new MirrorCache({ dir: join(dataDir, 'mirrors') }).pathFor(url),
        'the mirror path does not depend on credentials',
      )
    },
  )

  t.test('a wrong token: refused, and the error names the prefix, not the token', async (t) => {
    const wrong = 'ghp_WrongToken9876543210'
    const mirrors = mirrorCache(t, [{ ...credential, password: wrong }])
    const err = await mirrors.ensure(url).then(
      () => undefined,
      (e: Error) => e,
    )
    t.equal(
      err?.message,
      `git failed: authentication failed for ${url}: the server refused the credentials of git.credentials ${server.url}/`,
    )
    t.notMatch(err?.message ?? '', wrong)
    t.notMatch(String(err?.stack), wrong)
  })

  t.test('credentials for other prefixes are not sent; the longest covering prefix wins', async (t) => {
    const port = new URL(server.url).port
    const others: GitCredential[] = [
      { url: `${server.url}/rem`, username: USERNAME, password: 'not-a-segment' },
      { url: `${server.url}/remote.git-evil/`, username: USERNAME, password: 'evil' },
      { url: `${server.url}/other/`, username: USERNAME, password: 'other-path' },
      { url: `https://127.0.0.1:${port}/`, username: USERNAME, password: 'other-scheme' },
      { url: `http://localhost:${port}/`, username: USERNAME, password: 'other-host' },
    ]
    server.requests.length = 0
    await t.rejects(mirrorCache(t, others).ensure(url), { message: /no git\.credentials entry covers this URL/ })
    t.ok(server.requests.length > 0)
    t.same(
      server.requests.filter((r) => r.authorization !== undefined),
      [],
      'the server saw no Authorization header',
    )

    // `/remote` covers `/remote.git` and is longer than `/`, so its (wrong) token is the one sent.
    const specific = { url: `${server.url}/remote`, username: USERNAME, password: 'for-remote-only' }
    server.requests.length = 0
    await t.rejects(mirrorCache(t, [credential, specific]).ensure(url), {
      message: `refused the credentials of git.credentials ${server.url}/remote`,
    })
    t.ok(
      server.requests.length > 0 &&
        server.requests.every(
          (r) => r.authorization === `Basic ${Buffer.from(`${USERNAME}:for-remote-only`).toString('base64')}`,
        ),
    )
  })

  t.test('a clone URL with userinfo: stripped before use, the same mirror, never on disk', async (t) => {
    const smuggled = 'ghp_SmuggledInTheCloneUrl42'
    const withUserinfo = url.replace('http://', `http://someone:${smuggled}@`)
    const anonymous = mirrorCache(t)
    server.requests.length = 0
    const err = await anonymous.ensure(withUserinfo).then(
      () => undefined,
      (e: Error) => e,
    )
    t.match(err, {
      code: 'TAMER_GIT_FAILED',
      message: /authentication failed for http:\/\/127\.0\.0\.1:\d+\/remote\.git: no git\.credentials entry/,
    })
    t.notMatch(err?.message ?? '', smuggled)
    t.ok(
      server.requests.every((r) => r.authorization === undefined),
      'the URL’s userinfo was not sent',
    )

    const dataDir = tempDir(t, 'tamer-data-')
    const mirrors = new MirrorCache({ dir: dataDir, ...local, credentials: [credential] })
    const m = await mirrors.ensure(withUserinfo)
    t.equal(m.path, mirrors.pathFor(url), 'the same mirror as the plain URL')
    t.equal(mirrors.pathFor(withUserinfo), mirrors.pathFor(url))
    t.equal((await m.git.raw(['config', '--get', 'remote.origin.url'])).trim(), url)
    t.same(filesContaining(dataDir, [smuggled, TOKEN, BASIC, 'someone']), [])
  })

  t.test('a redirect to another host never carries the credential, and is never followed', async (t) => {
    const elsewhere = await serveGit({ projectRoot: repo.root, hostname: 'localhost' })
    t.teardown(elsewhere.close)
    const redirecting = await serveGit({ projectRoot: repo.root, redirectTo: elsewhere.url })
    t.teardown(redirecting.close)
    const redirectUrl = `${redirecting.url}/remote.git`
    const refused = `git failed: clone ${redirectUrl}: the server redirected; redirects are not followed (they could lead to another host or address, with the credential); use the repository's current URL`
    const both = [new URL(redirecting.url).host, new URL(elsewhere.url).host]
    const mirrors = mirrorCache(t, [{ ...credential, url: `${redirecting.url}/` }], both)
    await t.rejects(mirrors.ensure(redirectUrl), { code: 'TAMER_GIT_FAILED', message: refused })
    t.ok(redirecting.requests.length > 0 && redirecting.requests.every((r) => r.authorization === `Basic ${BASIC}`))
    t.same(
      elsewhere.requests.filter((r) => r.authorization !== undefined),
      [],
      'the other host saw no credential',
    )

    // Without credentials too: a redirect would skip the address check of where it leads.
    await t.rejects(mirrorCache(t, [], both).ensure(redirectUrl), { code: 'TAMER_GIT_FAILED', message: refused })
    t.same(elsewhere.requests, [], 'the other host was never asked')
  })
}
