// An open-loop load generator: request i is due at start + i / rate whatever the answers before it
// did, and its latency runs from that due time, not from when it could be sent. A closed loop
// (each connection waits for its answer) sends less while the server stalls and so hides the stall
// (coordinated omission: Gil Tene, "How NOT to Measure Latency", https://www.youtube.com/watch?v=lJ8ydIuPFeU;
// wrk2's README, https://github.com/giltene/wrk2).
import { Agent, request } from 'node:http'

export interface OpenLoopOptions {
  url: string
  rate: number
  seconds: number
  body: Buffer
  /** The headers of request i (a fresh delivery id each). */
  headers: (i: number) => Record<string, string>
  /** Sockets at most; requests beyond wait in the agent, still timed from their due time. */
  maxSockets?: number
  /** Request i's own URL and body (a round-robin over replicas, a distinct push each); default url and body. */
  urlOf?: (i: number) => string
  bodyOf?: (i: number) => Buffer
  /** Told of each answer with its body (read only when this is given) and when it arrived (performance.now()). */
  onAnswer?: (i: number, status: number, body: string, at: number) => void
}

export interface OpenLoopResult {
  sent: number
  /** Answers per second over the run (from the first due time to the last answer). */
  achieved: number
  p50: number
  p99: number
  max: number
  /** Status code → count; 0 counts requests that failed without an answer. */
  statuses: Record<number, number>
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN
}

export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 256 })
  const url = new URL(o.url)
  const total = Math.round(o.rate * o.seconds)
  const latencies: number[] = []
  const statuses: Record<number, number> = {}
  const start = performance.now()
  let sent = 0
  let lastAnswer = start
  const answers: Promise<void>[] = []
  const send = (i: number, due: number) =>
    new Promise<void>((resolve) => {
      const target = o.urlOf ? new URL(o.urlOf(i)) : url
      const body = o.bodyOf ? o.bodyOf(i) : o.body
      let text = ''
      const done = (status: number) => {
        const at = performance.now()
        o.onAnswer?.(i, status, text, at)
        latencies.push(at - due)
        statuses[status] = (statuses[status] ?? 0) + 1
        lastAnswer = Math.max(lastAnswer, at)
        resolve()
      }
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { ...o.headers(i), 'content-length': String(body.length) },
        },
        (res) => {
          if (o.onAnswer) res.on('data', (c: Buffer) => (text += c.toString('utf8')))
          else res.resume()
          res.on('end', () => done(res.statusCode ?? 0))
          res.on('error', () => done(0))
        },
      )
      req.on('error', () => done(0))
      req.end(body)
    })
  while (sent < total) {
    const now = performance.now()
    // Everything due by now goes out, however late the timer woke.
    while (sent < total && start + (sent * 1000) / o.rate <= now) {
      answers.push(send(sent, start + (sent * 1000) / o.rate))
      sent++
    }
    const next = start + (sent * 1000) / o.rate
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(5, next - performance.now()))))
  }
  await Promise.all(answers)
  agent.destroy()
  latencies.sort((a, b) => a - b)
  return {
    sent,
    achieved: (sent * 1000) / (lastAnswer - start),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    statuses,
  }
}
