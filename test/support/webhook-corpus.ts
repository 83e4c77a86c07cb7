// The real deliveries of ../shared/corpus/webhooks: where they are, which event each is, and
// how to sign one with the test secrets (test/providers/corpus.test.ts, properties.test.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { field, text } from '../../src/providers/json.js'
import { signedBitbucketCloud, signedBitbucketServer, signedGitHub, signedGitLab, type SignedDelivery } from './sign.js'

// TAMER_TEST_WEBHOOK_CORPUS points elsewhere to try this test on another copy.
export const CORPUS =
  process.env.TAMER_TEST_WEBHOOK_CORPUS ?? fileURLToPath(new URL('../../../shared/corpus/webhooks/', import.meta.url))

export type Host = 'github' | 'gitlab' | 'bitbucket-cloud' | 'bitbucket-server'
export const HOSTS: Host[] = ['github', 'gitlab', 'bitbucket-cloud', 'bitbucket-server']

export function readHeaders(file: string): Record<string, string> {
  const path = file.replace(/\.json$/, '.headers.json')
  if (!existsSync(path)) return {}
  const raw = JSON.parse(readFileSync(path, 'utf8')) as unknown
  const out: Record<string, string> = {}
  const source = (field(raw, 'headers') ?? raw) as Record<string, unknown>
  if (source && typeof source === 'object')
    for (const [k, v] of Object.entries(source)) if (typeof v === 'string') out[k.toLowerCase()] = v
  return out
}

/** The event name, from the captured headers or else from the payload's own shape. */
export function eventOf(host: Host, name: string, body: unknown, headers: Record<string, string>): string | null {
  if (host === 'github') {
    if (headers['x-github-event']) return headers['x-github-event']
    if (field(body, 'zen') !== undefined) return 'ping'
    if (field(body, 'pull_request') !== undefined) return 'pull_request'
    if (field(body, 'pusher') !== undefined && field(body, 'ref') !== undefined) return 'push'
    if (field(body, 'ref_type') !== undefined) return /delete/.test(name) ? 'delete' : 'create'
    return null
  }
  if (host === 'gitlab') {
    if (headers['x-gitlab-event']) return headers['x-gitlab-event']
    const kind = text(body, 'object_kind')
    if (!kind && text(body, 'event_name')) return 'System Hook'
    return (
      ({ push: 'Push Hook', tag_push: 'Tag Push Hook', merge_request: 'Merge Request Hook' } as Record<string, string>)[
        kind ?? ''
      ] ?? null
    )
  }
  if (headers['x-event-key']) return headers['x-event-key']
  if (host === 'bitbucket-server') {
    if (text(body, 'eventKey')) return text(body, 'eventKey')
    if (field(body, 'test') === true || /ping/.test(name)) return 'diagnostics:ping'
    return null
  }
  if (field(body, 'push') !== undefined) return 'repo:push'
  if (field(body, 'pullrequest') !== undefined) {
    const action = ['fulfilled', 'rejected', 'updated', 'created'].find((a) => name.includes(a))
    return action ? `pullrequest:${action}` : null
  }
  return null
}

export function signCorpus(host: Host, event: string, raw: Buffer): { route: string; d: SignedDelivery } {
  const payload = raw.toString('utf8')
  if (host === 'github') return { route: 'github', d: signedGitHub(event, payload) }
  if (host === 'gitlab') return { route: 'gitlab', d: signedGitLab(event, payload) }
  if (host === 'bitbucket-cloud') return { route: 'bitbucket', d: signedBitbucketCloud(event, payload) }
  return { route: 'bitbucket', d: signedBitbucketServer(event, payload) }
}

export interface CorpusDelivery {
  host: Host
  name: string
  event: string
  raw: Buffer
  body: unknown
}

/** Every corpus body whose event is recognisable, host by host (none where the corpus is absent). */
export function corpusDeliveries(comment: (s: string) => void = () => {}): CorpusDelivery[] {
  const out: CorpusDelivery[] = []
  for (const host of HOSTS.filter((h) => existsSync(join(CORPUS, h)))) {
    const dir = join(CORPUS, host)
    for (const name of readdirSync(dir)
      .filter((f) => f.endsWith('.json') && !f.endsWith('.headers.json'))
      .sort()) {
      const raw = readFileSync(join(dir, name))
      let body: unknown
      try {
        body = JSON.parse(raw.toString('utf8'))
      } catch {
        continue // not a delivery body (e.g. a vectors file)
      }
      const event = eventOf(host, name, body, readHeaders(join(dir, name)))
      if (event) out.push({ host, name, event, raw, body })
      else comment(`${host}/${name}: event not recognisable, not checked`)
    }
  }
  return out
}
