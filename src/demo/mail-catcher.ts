// The demo's local mail catcher: a real SMTP server on loopback (smtp-server) that keeps every mail
// it is given, read back with mailparser as a person's mail client would show it. Both are
// devDependencies: they are loaded here, when the demo starts, so a production install can say
// what it lacks instead of failing to load (see devDependenciesMissing).
import type { AddressInfo } from 'node:net'
import type { ParsedMail } from 'mailparser'

export interface CaughtMail {
  envelopeTo: string[]
  parsed: ParsedMail
}

export interface MailCatcher {
  port: number
  mails: CaughtMail[]
  close(): Promise<void>
}

/** The packages the demo needs that `npm ci --omit=dev` leaves out; the names missing (empty: all there). */
export async function devDependenciesMissing(
  load: (name: string) => Promise<unknown> = (name) => import(name),
): Promise<string[]> {
  const missing: string[] = []
  for (const name of ['smtp-server', 'mailparser']) {
    try {
      await load(name)
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw err
      missing.push(name)
    }
  }
  return missing
}

export async function startMailCatcher(): Promise<MailCatcher> {
  const { SMTPServer } = await import('smtp-server')
  const { simpleParser } = await import('mailparser')
  const mails: CaughtMail[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then((parsed) => {
        mails.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), parsed })
        callback()
      }, callback)
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
