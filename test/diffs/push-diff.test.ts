// Push diffs from real git repos: statuses, notebooks, text, renames, deletions, LFS pointers,
// submodule bumps, size limits, broken notebooks, new and deleted branches, the mirror cache.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { MirrorCache } from '../../src/git/mirror.js'
import { diffPush } from '../../src/diffs/push-diff.js'
import { nativeEngine } from '../../src/engines/engine.js'
import type { FileDiff } from '../../src/diffs/model.js'
import { code, notebook, stream } from '../notebooks/fixtures.js'
import { gitAvailable, makeRepo, tempDir } from '../git/repo.js'

const ZERO = '0'.repeat(40)
const nb = (src: string, out: string, cells: string[] = []) =>
  JSON.stringify(
    notebook([code('c1', src, [stream(out)], 1), ...cells.map((c, k) => code(`x${k}`, c, [], null))]),
    null,
    1,
  )
const lfsPointer = (oid: string, size: number) =>
  `version https://git-lfs.github.com/spec/v1\noid sha256:${oid.repeat(64 / oid.length)}\nsize ${size}\n`

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  const repo = await makeRepo(t)
  const mirrors = new MirrorCache({ dir: tempDir(t, 'tamer-mirrors-'), allowProtocols: ['file'] })
  const request = (before: string, after: string, ref = 'refs/heads/main') => ({
    cloneUrl: repo.url,
    repository: 'acme/ds',
    ref,
    before,
    after,
    defaultBranch: 'main',
    limits: { maxNotebookBytes: 4000 },
  })

  repo.write({
    'train.ipynb': nb('acc = fit(model)\nprint(acc)', 'accuracy: 0.91\n'),
    'broken.ipynb': nb('x = 1', '1\n'),
    'big.ipynb': nb('y = 2', '2\n'),
    'README.md': '# Model\n\nTrains the model.\n',
    'old-name.py': 'def f():\n    return 1\n\n\ndef g():\n    return 2\n',
    'gone.txt': 'bye\n',
    'data.bin': Buffer.from([0, 1, 2, 3, 255, 0, 7]),
    'weights.h5': lfsPointer('ab', 1234567),
  })
  const c1 = await repo.commit('first')
  // A gitlink whose folder is present but not checked out, as in any clone without --recursive.
  mkdirSync(join(repo.root, 'work', 'vendor', 'lib'), { recursive: true })
  await repo.git('update-index', '--add', '--cacheinfo', `160000,${'1'.repeat(40)},vendor/lib`)
  const c1b = await repo.commit('add submodule')
  await repo.push('main')

  repo.write({
    'train.ipynb': nb('acc = fit(model, epochs=5)\nprint(acc)', 'accuracy: 0.93\n'),
    'broken.ipynb': '{"cells": [ {"cell_type": "code", "sour',
    'big.ipynb': nb(
      'y = 3',
      '3\n',
      Array.from({ length: 60 }, (_, k) => `padding_line_${k} = ${k}`),
    ),
    'README.md': '# Model\n\nTrains the model, now for 5 epochs.\n',
    'data.bin': Buffer.from([0, 1, 2, 4, 255, 0, 7]),
    'weights.h5': lfsPointer('cd', 2345678),
  })
  await repo.git('mv', 'old-name.py', 'new_name.py')
  repo.write({ 'new_name.py': 'def f():\n    return 1\n\n\ndef g():\n    return 3\n' })
  await repo.git('rm', '--quiet', 'gone.txt')
  await repo.git('update-index', '--add', '--cacheinfo', `160000,${'2'.repeat(40)},vendor/lib`)
  const c2 = await repo.commit('second')
  await repo.push('main')

  t.test('a push to main: every kind of change', async (t) => {
    const push = await diffPush(mirrors, nativeEngine, request(c1b, c2))
    t.equal(push.base, c1b)
    t.equal(push.head, c2)
    const by = new Map(push.files.map((f) => [f.path, f]))
    const get = (p: string): FileDiff => by.get(p) ?? (t.fail(`missing ${p}`) as never)
    t.same([...by.keys()].sort(), [
      'README.md',
      'big.ipynb',
      'broken.ipynb',
      'data.bin',
      'gone.txt',
      'new_name.py',
      'train.ipynb',
      'vendor/lib',
      'weights.h5',
    ])

    const train = get('train.ipynb')
    t.equal(train.kind, 'notebook')
    if (train.kind === 'notebook') {
      t.same(train.summary, {
        cellsAdded: 0,
        cellsRemoved: 0,
        cellsModified: 1,
        outputsChanged: 1,
        sourcesChanged: 1,
        metadataChanged: false,
      })
      t.match(JSON.stringify(train.diff), /"key":"source"/)
    }
    t.match(get('broken.ipynb'), {
      kind: 'note',
      reason: 'unparsable',
      note: /^could not parse b\/broken\.ipynb: not valid JSON/,
      unified: /^@@ .*\n[\s\S]*\+\{"cells": \[ \{"cell_type": "code", "sour/,
    })
    t.match(get('big.ipynb'), {
      kind: 'note',
      reason: 'too-large',
      note: /over the 3\.9 KB limit: summarized, not rendered/,
    })
    t.match(get('README.md'), {
      kind: 'text',
      status: 'modified',
      unified: /^@@ -1,3 \+1,3 @@\n # Model\n \n-Trains the model\.\n\+Trains the model, now for 5 epochs\.\n/,
    })
    t.match(get('new_name.py'), {
      kind: 'text',
      status: 'renamed',
      oldPath: 'old-name.py',
      unified: /- {4}return 2\n\+ {4}return 3/,
    })
    t.match(get('gone.txt'), { kind: 'text', status: 'deleted', unified: /-bye/ })
    t.match(get('data.bin'), { kind: 'note', reason: 'binary' })
    t.match(get('weights.h5'), {
      kind: 'note',
      reason: 'lfs',
      note: /^stored in Git LFS \(2\.2 MB, oid cdcdcdcdcdcd…\): not diffed$/,
    })
    t.match(get('vendor/lib'), {
      kind: 'note',
      reason: 'submodule',
      note: `submodule bumped ${'1'.repeat(10)} → ${'2'.repeat(10)}`,
    })
  })

  t.test('the first push of a branch is diffed against the merge-base with main', async (t) => {
    await repo.git('checkout', '--quiet', '-b', 'feature')
    repo.write({ 'explore.ipynb': nb('df.describe()', 'count 10\n') })
    const c3 = await repo.commit('explore')
    await repo.push('feature')
    const push = await diffPush(mirrors, nativeEngine, request(ZERO, c3, 'refs/heads/feature'))
    t.equal(push.base, c2)
    t.match(push.notes.join('\n'), `merge-base ${c2.slice(0, 10)} with the default branch main`)
    t.equal(push.files.length, 1)
    t.match(push.files[0], { path: 'explore.ipynb', status: 'added', kind: 'notebook', summary: { cellsAdded: 1 } })
    await repo.git('checkout', '--quiet', 'main')
  })

  t.test('a root commit with no merge-base shows every file as added; a deleted ref shows nothing', async (t) => {
    const push = await diffPush(mirrors, nativeEngine, request(ZERO, c1, 'refs/heads/main'))
    t.ok(push.files.every((f) => f.status === 'added'))
    t.match(push.notes.join(), /every file is shown as added/)
    const gone = await diffPush(mirrors, nativeEngine, request(c2, ZERO, 'refs/heads/feature'))
    t.same(gone.files, [])
    t.match(gone.notes.join(), /deleted/)
  })

  t.test('bad notebooks: a clear message and a plain-text fallback, never a throw', async (t) => {
    const before = await repo.git('rev-parse', 'HEAD')
    const garbage = Buffer.from(Array.from({ length: 3000 }, (_, k) => (k * 7919) % 256))
    repo.write({
      'list.ipynb': '[1, 2, 3]\n',
      'v5.ipynb': '{"nbformat": 5, "nbformat_minor": 0, "cells": []}\n',
      'garbage.ipynb': garbage,
      'empty.ipynb': '',
    })
    const after = await repo.commit('bad input')
    await repo.push('main')
    const push = await diffPush(mirrors, nativeEngine, request(before, after))
    const note = (p: string) => push.files.find((f) => f.path === p)
    t.match(note('list.ipynb'), {
      kind: 'note',
      reason: 'unparsable',
      note: /^could not parse b\/list\.ipynb: not a notebook: the top-level JSON value is an array/,
      unified: /\+\[1, 2, 3\]/,
    })
    t.match(note('v5.ipynb'), {
      kind: 'note',
      reason: 'unparsable',
      note: /^could not parse b\/v5\.ipynb: unsupported nbformat version 5/,
    })
    t.match(note('garbage.ipynb'), {
      kind: 'note',
      reason: 'unparsable',
      note: /^could not parse b\/garbage\.ipynb: /,
      unified: /Binary files/,
    })
    t.match(note('empty.ipynb'), {
      kind: 'note',
      reason: 'unparsable',
      note: /could not parse b\/empty\.ipynb: the file is empty/,
    })
  })

  t.test('mirror: partial clone, incremental fetch, allowed protocols, unknown commits', async (t) => {
    const m = await mirrors.ensure(repo.url)
    t.equal(m.partial, true, 'the server allows --filter=blob:none')
    repo.write({ 'later.txt': 'x\n' })
    const c4 = await repo.commit('later')
    await repo.push('main')
    const again = await mirrors.ensure(repo.url, [c4])
    t.equal(again.path, m.path, 'the same mirror, fetched again')
    t.equal((await again.git.raw(['rev-parse', 'refs/heads/main'])).trim(), c4)

    const strict = new MirrorCache({ dir: tempDir(t, 'tamer-mirrors-') })
    await t.rejects(
      strict.ensure(repo.url),
      {
        code: 'TAMER_CLONE_URL_REFUSED',
        message: /file:\/\/.*: protocol file is not allowed \(git\.protocols: https\)/,
      },
      'file:// is refused unless allowed',
    )
    for (const rev of ['HEAD', 'main', c1.slice(0, 12), `${c1}^`, '--upload-pack=touch /tmp/x'])
      await t.rejects(
        diffPush(mirrors, nativeEngine, request(c1, rev)),
        { code: 'TAMER_BAD_REVISION' },
        `${rev} is not a commit id`,
      )
    await t.rejects(diffPush(mirrors, nativeEngine, request(c1, 'f'.repeat(40))), {
      code: 'TAMER_GIT_FAILED',
      message: /commit f{40} is not in/,
    })
  })
}
