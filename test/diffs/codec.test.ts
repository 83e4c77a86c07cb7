// The stored form of a push diff gives back exactly what the page needs: every parity scenario
// (images, errors, attachments, metadata, moved and v3 cells …) plus text, binary, renamed,
// deleted and unparsable files are pushed to a real repo, diffed, encoded, decoded — and the
// HTML page of the decoded value is byte for byte the page of the original.
import t from 'tap'
import { compressPushDiffs, decodePushDiffs, PUSH_DIFF_FORMAT, serializePushDiffs } from '../../src/diffs/codec.js'
import { MirrorCache } from '../../src/git/mirror.js'
import { diffPush } from '../../src/diffs/push-diff.js'
import { nativeEngine } from '../../src/engines/engine.js'
import { renderPushDiffHtml } from '../../src/diffs/page.js'
import { scenarios } from '../notebooks/fixtures.js'
import { gitAvailable, makeRepo, tempDir } from '../git/repo.js'

const text = (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x, null, 1))

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test('a decoded push diff renders the identical page', async (t) => {
    const repo = await makeRepo(t)
    const pairs = scenarios()
    const name = (n: string) => `nb/${n.replace(/[^\w.-]+/g, '_')}.ipynb`
    repo.write(Object.fromEntries(pairs.map((p) => [name(p.name), text(p.a)])))
    repo.write({
      'README.md': 'one\n',
      'old.py': 'x = 1\n\n\ndef f():\n    return 2\n',
      'gone.txt': 'bye\n',
      'data.bin': Buffer.from([0, 1, 2, 255]),
      'broken.ipynb': text(pairs[0]!.a),
    })
    const before = await repo.commit('a')
    repo.write(Object.fromEntries(pairs.map((p) => [name(p.name), text(p.b)])))
    repo.write({
      'README.md': 'two\n',
      'data.bin': Buffer.from([0, 1, 3, 255]),
      'broken.ipynb': '{"cells": [',
      'added.ipynb': text(pairs[1]!.b),
    })
    await repo.git('mv', 'old.py', 'new.py')
    await repo.git('rm', '--quiet', 'gone.txt')
    const after = await repo.commit('b')
    await repo.push('main')

    const mirrors = new MirrorCache({ dir: tempDir(t, 'tamer-codec-'), allowProtocols: ['file'] })
    const push = await diffPush(mirrors, nativeEngine, {
      cloneUrl: repo.url,
      repository: 'acme/ds',
      ref: 'refs/heads/main',
      before,
      after,
      defaultBranch: 'main',
    })
    const kinds = new Set(push.files.map((f) => (f.kind === 'note' ? `note:${f.reason}` : f.kind)))
    t.same(
      [...kinds].sort(),
      ['note:binary', 'note:unparsable', 'notebook', 'text'],
      'every kind of file is in the push',
    )
    t.ok(
      push.files.some((f) => f.status === 'renamed') &&
        push.files.some((f) => f.status === 'deleted') &&
        push.files.some((f) => f.status === 'added'),
      'renamed, deleted and added files too',
    )
    t.ok(
      push.files.filter((f) => f.kind === 'notebook').length >= pairs.length - 1,
      'the scenarios are diffed as notebooks',
    )

    const serialized = serializePushDiffs([push])
    t.ok(serialized, 'serializes')
    const payload = await compressPushDiffs(serialized!)
    t.ok(payload.length < serialized!.length, `compressed ${serialized!.length} → ${payload.length} bytes`)
    const [decoded, ...rest] = await decodePushDiffs(payload)
    t.equal(rest.length, 0)
    t.strictSame(decoded, push, 'the same value, base notebooks included')
    t.ok(
      decoded!.files.every((f) => f.kind !== 'notebook' || (f.base.cells !== undefined && f.base.nbformat === 4)),
      'base notebooks are kept',
    )
    const page = renderPushDiffHtml(push)
    t.ok(page.length > 10_000, 'a real page')
    t.equal(renderPushDiffHtml(decoded!), page, 'the identical page')
  })
}

t.test('a payload of another format, or not brotli at all, is refused', async (t) => {
  const other = await compressPushDiffs(Buffer.from(JSON.stringify({ format: PUSH_DIFF_FORMAT + 1, pushes: [] })))
  await t.rejects(decodePushDiffs(other), {
    code: 'TAMER_STORED_DIFF_FORMAT',
    message: `Stored push diff has format ${PUSH_DIFF_FORMAT + 1}, not ${PUSH_DIFF_FORMAT}`,
  })
  await t.rejects(decodePushDiffs(Buffer.from('not brotli')))
  t.same(await decodePushDiffs(await compressPushDiffs(serializePushDiffs([])!)), [])
})
