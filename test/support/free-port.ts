// A port nothing listens on yet, for a server a test starts in a child process (which must be told its port).
import { createServer } from 'node:net'

/** Listens on port 0 on 127.0.0.1, reads the port the system chose, and closes. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}
