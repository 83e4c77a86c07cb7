// The metric chart as PNG for mail (issue #15 item 2): most mail clients (Gmail, Outlook) do not show
// SVG, so notices attach the chart of src/metrics/chart.ts rasterized, inline by Content-ID.
// @resvg/resvg-js rather than sharp: it renders SVG only and needs nothing else, its Linux/macOS/Windows
// binaries are npm packages of their own (optionalDependencies, napi-rs; nothing is downloaded at install
// or run time), and one binary loads on Node 20, 22 and 24 (N-API); sharp carries all of libvips for
// this one conversion. https://github.com/thx/resvg-js#readme
import type { Resvg as ResvgType } from '@resvg/resvg-js'

let Resvg: typeof ResvgType | null = null

/** The PNG of an SVG, at the SVG's own size on a white background. Loaded on first use (a native module). */
export async function svgToPng(svg: string): Promise<Buffer> {
  Resvg ??= (await import('@resvg/resvg-js')).Resvg
  return Buffer.from(new Resvg(svg, { background: '#ffffff', font: { loadSystemFonts: true } }).render().asPng())
}

/** The Content-ID the mail's HTML part refers to (`<img src="cid:…">`, RFC 2392). */
export const CHART_CID = 'metric-chart@tamer'
