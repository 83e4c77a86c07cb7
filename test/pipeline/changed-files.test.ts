// Path rules on a host that sends no file lists (Bitbucket): the changed files come from git.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { PushEvent } from '../../src/events/model.js'
import { MirrorCache } from '../../src/git/mirror.js'
import { gitChangedFiles } from '../../src/pipeline/changed-files.js'
import { evaluateRules } from '../../src/pipeline/rules.js'
import { validateCheckedConfig } from '../../src/compose/config.js'
import { gitAvailable, makeRepo } from '../git/repo.js'

const ZERO = '0'.repeat(40)

function push(url: string, before: string, after: string, ref = 'refs/heads/main', fullName = 'acme/ds'): PushEvent {
  return {
    kind: 'push',
    provider: 'bitbucket-cloud',
    hostDeliveryId: null,
    tenant: 'default',
    receivedAt: new Date().toISOString(),
    repository: { fullName, cloneUrl: { https: url, ssh: null }, webUrl: null, defaultBranch: 'main' },
    ref,
    refType: 'branch',
    branch: ref.replace('refs/heads/', ''),
    tag: null,
    before,
    after,
    created: before === ZERO,
    deleted: false,
    forced: false,
    commits: [],
    totalCommits: 1,
    filesKnown: false,
    pusher: { name: null, email: null, username: null },
  }
}

if (!(await gitAvailable())) {
  t.test('changed files from git', { skip: process.env.CI ? false : 'git is not installed' }, async (t) => {
    t.fail('git is required in CI')
  })
} else {
  t.test('changed files from git decide path rules when the host sent none', async (t) => {
    const repo = await makeRepo(undefined, { fullName: 'acme/ds' })
    const dir = mkdtempSync(join(tmpdir(), 'tamer-changed-'))
    t.teardown(() => {
      repo.cleanup()
      rmSync(dir, { recursive: true, force: true })
    })
    repo.write({ 'README.md': 'one\n', 'notebooks/a.ipynb': '{}\n', 'docs/x.md': 'x\n' })
    const c1 = await repo.commit('one')
    repo.write({ 'notebooks/a.ipynb': '{"cells": []}\n' })
    const c2 = await repo.commit('notebook')
    repo.write({ 'docs/x.md': 'y\n' })
    const c3 = await repo.commit('docs')
    await repo.git('checkout', '--quiet', '-b', 'feature', c1)
    repo.write({ 'src/model.py': 'print(1)\n' })
    const f1 = await repo.commit('feature')
    await repo.git('checkout', '--quiet', 'main')
    await repo.push('main', 'feature')

    const source = gitChangedFiles(
      new MirrorCache({
        dir: join(dir, 'mirrors'),
        allowProtocols: ['file'],
        hosts: [{ provider: 'bitbucket-cloud', url: repo.base }],
      }),
    )
    t.same(await source.changedFiles(push(repo.url, c1, c2)), ['notebooks/a.ipynb'])
    t.same(await source.changedFiles(push(repo.url, c2, c3)), ['docs/x.md'])
    t.same(
      await source.changedFiles(push(repo.url, ZERO, f1, 'refs/heads/feature')),
      ['src/model.py'],
      'a new branch: against its merge-base with main',
    )
    t.equal(
      await source.changedFiles(push(`${repo.base}/acme/missing.git`, c1, c2, 'refs/heads/main', 'acme/missing')),
      null,
      'git failing is "unknown", not "nothing changed"',
    )
    t.equal(
      await source.changedFiles(push(`file://${dir}/elsewhere.git`, c1, c2)),
      null,
      'a clone URL that is not the repository’s is refused: "unknown" too',
    )

    const { rules } = validateCheckedConfig({
      rules: [{ name: 'notebooks', paths: ['notebooks/**'], events: ['push'], job: 'nb/{repo}' }],
    })
    const [hit] = await evaluateRules(rules, [push(repo.url, c1, c2)], source)
    const [miss] = await evaluateRules(rules, [push(repo.url, c2, c3)], source)
    t.equal(hit!.matched, true)
    t.notOk(hit!.pathsUnevaluated)
    t.equal(miss!.matched, false, 'a docs-only push does not start the notebook job')
  })
}
