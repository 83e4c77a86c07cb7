// A notice's notebook summary comes from the stored push diff: with the remote and the mirrors
// gone, a fresh service (another process) still summarizes the build's push.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { createPushDiffService } from '../../src/diffs/service.js'
import { MirrorCache } from '../../src/git/mirror.js'
import { createLogger } from '../../src/logging.js'
import { nativeEngine } from '../../src/engines/engine.js'
import { renderPushSummaryMarkdown, renderPushSummaryText } from '../../src/diffs/summary.js'
import { pushDiffSummary } from '../../src/notify/notebook-summary.js'
import type { BuildRecord } from '../../src/store/builds.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { gitAvailable, tempDir } from '../git/repo.js'
import { fileHosts, notebookPush, pushEvent, recordPush } from '../support/push-diffs.js'

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test('the summary is rendered from the stored diff, without git', async (t) => {
    const dir = tempDir(t, 'tamer-summary-')
    const store = openSqliteStore({ file: join(dir, 'tamer.db') })
    t.teardown(() => store.close())
    const { repo, before, after } = await notebookPush(t)
    const push = pushEvent({ cloneUrl: repo.url, before, after })
    const id = await recordPush(store, push)
    const service = (mirrors: string) =>
      createPushDiffService({
        mirrors: new MirrorCache({ dir: join(dir, mirrors), allowProtocols: ['file'], hosts: fileHosts(repo) }),
        engine: nativeEngine,
        store,
        storeMaxBytes: 2 ** 20,
        logger: createLogger('silent'),
      })

    // What precompute or a page view did earlier, in another process.
    const [diff] = await service('mirrors-a').diffsOf((await store.getDelivery(id))!)
    rmSync(join(dir, 'mirrors-a'), { recursive: true, force: true })
    repo.cleanup()

    const build = { deliveryId: id } as BuildRecord
    const summary = pushDiffSummary(store, service('mirrors-b'))
    const texts = await summary.summary(build, push)
    t.same(
      texts,
      {
        markdown: renderPushSummaryMarkdown(diff!, { budget: 2000 }),
        text: renderPushSummaryText(diff!, { budget: 2000 }),
      },
      'the stored diff’s summary, in Markdown and plain text',
    )
    t.match(texts?.markdown, /### `train\.ipynb`/)
    t.match(texts?.text, /^train\.ipynb \(modified\)$/m)
    t.equal(
      await summary.summary(build, { ...push, after: 'f'.repeat(40) }),
      null,
      'a push the delivery does not carry: nothing',
    )
    t.equal(await summary.summary(build, { ...push, deleted: true }), null, 'a deleted ref: nothing')
    t.equal(await summary.summary(build, null), null)
    t.equal(
      await summary.summary({ deliveryId: 'gone' } as BuildRecord, push),
      null,
      'a delivery no longer stored: nothing',
    )
  })
}
