// The metric table in notices: a branch regressing against the default branch fails at the gate,
// and the mail (text and HTML, through a real SMTP server) and the chat message (a real HTTP peer)
// carry Tamer's table next to the notebook summary; `.tamer.yml`'s notify.to joins the recipients.
import { inflateSync } from 'node:zlib'
import t from 'tap'
import { CHART_CID } from '../../src/metrics/chart-png.js'
import { gitAvailable } from '../git/repo.js'
import { startHttpPeer, startSmtpPeer } from '../support/notify/peers.js'
import { startMetricsHarness } from '../support/metrics.js'

/** Width and height of a PNG after checking its signature and inflating its image data to the size they imply. */
function decodePng(b: Buffer): { width: number; height: number } {
  if (!b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error('no PNG')
  let at = 8
  let ihdr: Buffer | null = null
  const idat: Buffer[] = []
  while (at < b.length) {
    const len = b.readUInt32BE(at)
    const type = b.toString('latin1', at + 4, at + 8)
    const data = b.subarray(at + 8, at + 8 + len)
    if (type === 'IHDR') ihdr = data
    if (type === 'IDAT') idat.push(data)
    at += 12 + len
  }
  const width = ihdr!.readUInt32BE(0)
  const height = ihdr!.readUInt32BE(4)
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[ihdr![9]!]!
  const rowBytes = 1 + Math.ceil((width * channels * ihdr![8]!) / 8)
  if (inflateSync(Buffer.concat(idat)).length !== height * rowBytes) throw new Error('image data of another size')
  return { width, height }
}

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test('mail and chat carry the metric table', async (t) => {
    const smtp = await startSmtpPeer()
    const http = await startHttpPeer()
    t.teardown(async () => {
      await smtp.close()
      await http.close()
    })
    const m = await startMetricsHarness(t, {
      notifier: true,
      config: {
        notifications: {
          smtp: { host: '127.0.0.1', port: smtp.port, from: 'Tamer <ci@tamer.example.com>', timeoutMs: 2000 },
          channels: [{ name: 'ds-chat', type: 'mattermost', url: `${http.url}/hooks/mm` }],
          rules: [{ repository: 'acme-ds/*', to: ['lead@example.com'], channels: ['ds-chat'] }],
        },
      },
    })
    const settings =
      "metrics:\n  thresholds:\n    accuracy: '>= 0.85'\n    auc: { maxDrop: 0.01 }\nnotify:\n  to: [owner@example.com]\n"
    const main = await m.push('main', { '.tamer.yml': settings })
    await m.post(main.build!, { accuracy: 0.9, auc: 0.82 })
    await m.finish('SUCCESS')
    const feat = await m.push('feature/z', { 'model.py': 'v2\n' })
    const r = await m.post(feat.build!, { accuracy: 0.91, auc: 0.8, '<b>x|y</b>': 1 })
    t.equal(r.body.verdict, 'fail')
    await m.finish('FAILURE')
    await m.h.service.notifier.drain()

    t.equal(smtp.mails.length, 1, 'one mail')
    const mail = smtp.mails[0]!
    t.same(mail.envelopeTo.sort(), ['lead@example.com', 'owner@example.com'], ".tamer.yml's notify.to joins")
    const text = mail.parsed.text ?? ''
    t.match(text, `Metric gate: FAILED (compared with main @ ${main.sha.slice(0, 10)}`)
    t.match(text, /metric\s+value\s+threshold\s+default branch\s+delta\s+result/)
    t.match(text, /auc\s+0\.8\s+drop <= 0\.01\s+0\.82\s+-0\.02\s+FAIL/)
    t.match(text, /accuracy\s+0\.91\s+>= 0\.85\s+0\.9\s+\+0\.01\s+pass/)
    t.match(text, '  - auc dropped 0.02 from 0.82')
    const html = String(mail.parsed.html)
    t.match(html, '<h3>Metric gate: failed</h3>')
    t.match(html, '<td>auc</td><td>0.8</td><td>drop &lt;= 0.01</td><td>0.82</td><td>-0.02</td>')
    t.match(html, '&lt;b&gt;x|y&lt;/b&gt;', 'metric names are escaped')

    // The chart as an inline PNG (most mail clients show no SVG): referenced by Content-ID, and a PNG
    // that decodes: signature, IHDR at the chart's size, every IDAT row inflated (RFC 2083).
    // (mailparser resolves the cid: reference to the attachment's data: URL, so finding one proves the link)
    t.match(html, /<img src="data:image\/png;base64,[A-Za-z0-9+/=]+" width="640" height="280" alt="Metric chart">/)
    const png = mail.parsed.attachments.find((a) => a.cid === CHART_CID)
    t.ok(png, 'the chart is attached')
    t.equal(png!.contentType, 'image/png')
    t.equal(png!.contentDisposition, 'inline')
    t.same(decodePng(png!.content), { width: 640, height: 280 })
    t.notMatch(html, '<b>x|y</b>')

    const chat = http.requests.find((x) => x.path === '/hooks/mm')
    t.ok(chat, 'the chat message was sent')
    // Mattermost's message is JSON; what it shows is the Markdown inside.
    const md = JSON.stringify(chat!.body)
    const shown = (x: string) => JSON.stringify(x).slice(1, -1)
    t.match(md, shown('**Metric gate: failed**'))
    t.match(md, shown('| metric | value | threshold | default branch | delta | result |'))
    t.match(md, shown('| auc | 0.8 | drop &lt;= 0.01 | 0.82 | -0.02 | ❌ fail |'))
    t.match(md, shown('| &lt;b>x\\|y&lt;/b> | 1 |'), 'pipes and markup in a name cannot break the table')

    // An invalid .tamer.yml: no run, and the notice says why, with the line.
    await m.push('feature/bad', { '.tamer.yml': 'metrics:\n  thresholds:\n    auc: "about 0.8"\n' })
    await m.h.service.notifier.drain()
    t.equal(smtp.mails.length, 2)
    const bad = smtp.mails[1]!.parsed
    t.match(
      bad.subject,
      'acme-ds/churn-model feature/bad failed: ds/churn-model/feature-bad (Repository settings (.tamer.yml))',
    )
    t.match(bad.text, '.tamer.yml line 3, column 10: metrics.thresholds.auc: a threshold is')
    t.same(smtp.mails[1]!.envelopeTo, ['lead@example.com'], 'an invalid file names no recipients')
  })
}
