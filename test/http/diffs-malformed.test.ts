// A pushed notebook that breaks nbformat's types where the diff and the pages look (a source that
// is an object, outputs that are text, a mime bundle that is a string, no cell_type) is shown as
// "could not parse" with the plain-text diff, on the page and in the JSON: not a 500 from the
// renderer (found by test/notebooks/properties.test.ts).
import { join } from 'node:path'
import t from 'tap'
import { MirrorCache } from '../../src/git/mirror.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { gitAvailable, makeRepo, tempDir } from '../git/repo.js'
import { code, notebook, stream } from '../notebooks/fixtures.js'
import { composeForTest, SECRETS, testConfig } from '../support/app.js'
import { pushEvent, recordPush } from '../support/push-diffs.js'

const auth = { authorization: `Bearer ${SECRETS.api}` }
const valid = notebook([code('c1', 'x = 1', [stream('1\n')], 1)])
const broken: [string, (cell: Record<string, unknown>) => void][] = [
  ['a source that is an object', (c) => (c.source = { toString: 1 })],
  ['outputs that are text', (c) => (c.outputs = 'oops')],
  [
    'a mime bundle that is a string',
    (c) => (c.outputs = [{ output_type: 'execute_result', execution_count: 1, metadata: {}, data: 'png' }]),
  ],
  ['an output type that is an object', (c) => (c.outputs = [{ output_type: { toString: 1 }, text: 'x' }])],
  ['no cell_type', (c) => delete c.cell_type],
  ['a markdown cell whose outputs are text', (c) => Object.assign(c, { cell_type: 'markdown', outputs: 'oops' })],
]

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test('a malformed notebook in a push: the page and the JSON say it could not be read', async (t) => {
    const dir = tempDir(t, 'tamer-malformed-')
    const repo = await makeRepo(t, { fullName: 'acme/ds' })
    const store = openSqliteStore({ file: join(dir, 'tamer.db') })
    const { app } = await composeForTest(testConfig({ dataDir: dir }), {
      store,
      mirrors: new MirrorCache({
        dir: join(dir, 'mirrors'),
        allowProtocols: ['file'],
        hosts: [{ provider: 'github', url: repo.base }],
      }),
    })
    t.teardown(async () => {
      await app.close()
      await store.close()
    })
    repo.write({ 'nb.ipynb': JSON.stringify(valid, null, 1) })
    const before = await repo.commit('valid')
    await repo.push('main')
    for (const [k, [what, breakIt]] of broken.entries()) {
      const nb = structuredClone(valid) as unknown as { cells: Record<string, unknown>[] }
      breakIt(nb.cells[0]!)
      repo.write({ 'nb.ipynb': JSON.stringify(nb, null, 1) })
      const after = await repo.commit(what)
      // Each broken version on its own branch, diffed against the valid one.
      await repo.push(`HEAD:refs/heads/case-${k}`)
      await repo.git('reset', '--quiet', '--hard', before)
      const id = await recordPush(store, pushEvent({ before, after, cloneUrl: repo.url }))
      const page = await app.inject({ method: 'GET', url: `/diffs/${id}`, headers: auth })
      t.equal(
        page.statusCode,
        200,
        `${what}: the page answers (${page.statusCode === 200 ? '' : page.body.slice(0, 200)})`,
      )
      t.match(page.body, /could not parse b\/nb\.ipynb/, `${what}: the page says the notebook could not be read`)
      const api = await app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: auth })
      t.equal(api.statusCode, 200, `${what}: the JSON answers`)
      t.match(
        api.json().pushes[0].files[0],
        { kind: 'note', reason: 'unparsable' },
        `${what}: a note with the plain-text diff`,
      )
    }
  })
}
