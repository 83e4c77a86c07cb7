// A logger whose lines are kept in memory, one string per line, for tests that read what was logged.
import { Writable } from 'node:stream'
import { createLogger } from '../../src/logging.js'

export function logSink(level = 'info') {
  const logs: string[] = []
  const logger = createLogger(
    level,
    new Writable({ write: (c, _e, cb) => (logs.push(...c.toString().split('\n').filter(Boolean)), cb()) }),
  )
  return { logs, logger }
}
