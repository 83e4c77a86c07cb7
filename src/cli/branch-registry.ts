// The branch registry's catch-up for a command: what a running server may not have taken yet (a push a
// moment ago) is in the registry before the command reads branch choices (`tamer run`, `tamer jobs sync`).
import { resolve } from 'node:path'
import type { Config } from '../config/schema.js'
import { mirrorCacheFromConfig } from '../git/mirror.js'
import { createLogger } from '../logging.js'
import { createBranchTracker } from '../pipeline/branches.js'
import type { BranchStore } from '../store/branches.js'

export async function catchUpBranchRegistry(config: Config, store: BranchStore, cwd: string): Promise<void> {
  const tracker = createBranchTracker({
    store,
    logger: createLogger('silent'),
    mirrors: mirrorCacheFromConfig(config, resolve(cwd, config.dataDir, 'mirrors')),
  })
  try {
    await tracker.catchUp()
  } finally {
    await tracker.stop()
  }
}
