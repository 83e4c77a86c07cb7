// Signs deliveries the way each host does, so tests go through the real verification.
import { createHmac, randomUUID } from 'node:crypto'
import { SECRETS } from './app.js'

export interface SignedDelivery {
  headers: Record<string, string>
  body: Buffer
}

const json = (payload: unknown): Buffer => Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload))

export function hmacHex(algorithm: string, secret: string, body: Buffer | string): string {
  return createHmac(algorithm, secret).update(body).digest('hex')
}

export function signedGitHub(
  event: string,
  payload: unknown,
  opts: { secret?: string; delivery?: string; hookId?: string } = {},
): SignedDelivery {
  const body = json(payload)
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-event': event,
      'x-github-delivery': opts.delivery ?? randomUUID(),
      'x-github-hook-id': opts.hookId ?? '292430182',
      'x-hub-signature-256': `sha256=${hmacHex('sha256', opts.secret ?? SECRETS.github, body)}`,
    },
  }
}

export function signedGitLab(
  event: string,
  payload: unknown,
  opts: { token?: string; idempotencyKey?: string | null } = {},
): SignedDelivery {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitLab/17.6.0',
    'x-gitlab-event': event,
    'x-gitlab-token': opts.token ?? SECRETS.gitlab,
    'x-gitlab-webhook-uuid': randomUUID(),
    'x-gitlab-instance': 'https://gitlab.example.com',
  }
  if (opts.idempotencyKey !== null) headers['idempotency-key'] = opts.idempotencyKey ?? randomUUID()
  return { body: json(payload), headers }
}

/** GitLab signing tokens: Standard Webhooks over `id.timestamp.body`. */
export function signedGitLabStandard(
  event: string,
  payload: unknown,
  opts: { signingToken?: string; timestamp?: number; id?: string } = {},
): SignedDelivery {
  const body = json(payload)
  const id = opts.id ?? randomUUID()
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000))
  const key = Buffer.from((opts.signingToken ?? SECRETS.gitlabSigning).replace(/^whsec_/, ''), 'base64')
  const sig = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64')
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-gitlab-event': event,
      'idempotency-key': id,
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${sig}`,
    },
  }
}

export function signedBitbucketCloud(
  eventKey: string,
  payload: unknown,
  opts: { secret?: string; algorithm?: string; hookUuid?: string } = {},
): SignedDelivery {
  const body = json(payload)
  const algorithm = opts.algorithm ?? 'sha256'
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Bitbucket-Webhooks/2.0',
      'x-event-key': eventKey,
      'x-hook-uuid': opts.hookUuid ?? '{c9b5d2b4-1b59-4c4d-9d89-2f3a1c9d0e11}',
      'x-request-uuid': randomUUID(),
      'x-attempt-number': '1',
      'x-hub-signature': `${algorithm}=${hmacHex(algorithm, opts.secret ?? SECRETS.bitbucket, body)}`,
    },
  }
}

export function signedBitbucketServer(
  eventKey: string,
  payload: unknown,
  opts: { secret?: string; requestId?: string } = {},
): SignedDelivery {
  const body = json(payload)
  return {
    body,
    headers: {
      'content-type': 'application/json; charset=UTF-8',
      'user-agent': 'Atlassian HttpClient 4.1.1 / Bitbucket-8.9.0 (8009000) / Default',
      'x-event-key': eventKey,
      'x-request-id': opts.requestId ?? randomUUID(),
      'x-hub-signature': `sha256=${hmacHex('sha256', opts.secret ?? SECRETS.bitbucket, body)}`,
    },
  }
}
