// What a host client's call threw, as a HostRequestFailure (anything else fails the test).
import { HostRequestFailure } from '../../../src/providers/outbound.js'

export async function failureOf(call: Promise<unknown>): Promise<HostRequestFailure> {
  try {
    await call
  } catch (err) {
    if (err instanceof HostRequestFailure) return err
    throw err
  }
  throw new Error('expected the call to fail')
}

/** A port nothing listens on (bound, read, closed): a connection there is refused. */
export async function closedPortUrl(): Promise<string> {
  const { createServer } = await import('node:net')
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}
