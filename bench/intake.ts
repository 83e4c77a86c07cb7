// npm run bench:intake — durable intake vs (a) the same route without storage and (b) a bare route.
// Each server runs in its own process; autocannon drives it from this one.
import { fork, type ChildProcess } from 'node:child_process'
import { createHmac, randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { githubPush } from '../test/support/payloads.js'

const SECRET = 'bench-secret'
const DURATION = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)

/** A push of about 8.5 KB, like the corpus push: several commits with file lists. */
function pushBody(): Buffer {
  const base = githubPush()
  const commits = Array.from({ length: 9 }, (_, i) => ({
    ...base.commits[0]!,
    id: `${i}`.padStart(40, 'f'),
    message: `Commit ${i}: retrain, re-evaluate and update the notebooks`,
    added: [`notebooks/exp-${i}.ipynb`, `data/features-${i}.parquet`],
    modified: ['notebooks/train.ipynb', 'requirements.txt', 'src/model/features.py', 'src/model/train.py'],
  }))
  return Buffer.from(JSON.stringify({ ...base, commits }))
}

async function start(mode: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(new URL('./intake-server.ts', import.meta.url)), [mode], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)))
  return { child, url: `http://127.0.0.1:${port}` }
}

async function ask<T>(child: ChildProcess, msg: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T))
    child.send(msg)
  })
}

async function load(url: string, body: Buffer, overallRate?: number) {
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`
  const result = await autocannon({
    url: `${url}/hooks/github`,
    method: 'POST',
    connections: overallRate ? 20 : CONNECTIONS,
    duration: DURATION,
    ...(overallRate ? { overallRate } : {}),
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-hook-id': '1', 'x-hub-signature-256': signature },
    body,
    requests: [
      {
        // A fresh delivery id per request, so each one is a new delivery, not a duplicate.
        setupRequest: (req: Record<string, any>) => ({ ...req, headers: { ...req.headers, 'x-github-delivery': randomUUID() } }),
      },
    ],
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  }
}

async function main() {
  const body = pushBody()
  console.log(`push body: ${body.length} bytes; ${DURATION}s per run, ${CONNECTIONS} connections`)
  const rows: Record<string, Awaited<ReturnType<typeof load>>> = {}
  for (const mode of ['bare', 'nostore', 'durable']) {
    const { child, url } = await start(mode)
    await load(url, body).catch(() => undefined) // warm-up, discarded
    rows[mode] = await load(url, body)
    if (mode === 'durable') {
      const before = await ask<{ stored: number }>(child, 'count')
      rows['durable @1000/s'] = await load(url, body, 1000)
      const after = await ask<{ stored: number }>(child, 'count')
      const expected = rows['durable @1000/s'].total - rows['durable @1000/s'].non2xx
      console.log(`stored during the 1,000/s run: ${after.stored - before.stored} of ${expected} acknowledged`)
    }
    child.send('stop')
  }
  const ceiling = rows.nostore!.rps
  console.log('\nmode                    deliveries/s   p50 ms   p99 ms   non-2xx   vs (a) verify+parse')
  const names: Record<string, string> = { bare: '(b) bare 202', nostore: '(a) verify+parse+202', durable: 'durable (FULL, group)', 'durable @1000/s': 'durable at 1,000/s' }
  for (const [mode, r] of Object.entries(rows))
    console.log(
      `${names[mode]!.padEnd(24)}${r.rps.toFixed(0).padStart(12)}${r.p50.toFixed(1).padStart(9)}${r.p99.toFixed(1).padStart(9)}${String(r.non2xx + r.errors).padStart(10)}${(r.rps / ceiling).toFixed(2).padStart(12)}`,
    )
  const ratio = rows.durable!.rps / ceiling
  console.log(`\ndurable / (a) = ${(ratio * 100).toFixed(0)} % (target >= 70 %); p99 at 1,000/s = ${rows['durable @1000/s']!.p99} ms (target < 25 ms)`)
}

void main()
