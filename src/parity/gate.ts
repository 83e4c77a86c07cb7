// The dev/prod parity gate as a service (issue #15 item 3). The data-science template asks what to run
// (`plan`: `.tamer.yml`'s parity section at the build's commit), runs it inside the image it just
// built, and posts the predictions and the image's `pip freeze` (`report`). Tamer reads the
// development run's predictions and package list from the repository at the build's commit, through
// the mirror of the signed repository (never a location from the post), compares, stores the result
// per build and answers it.
import { RepoFileTooLargeError } from '../git/repo-file.js'
import type { MetricsGate } from '../metrics/gate.js'
import type { ParitySettings } from '../metrics/settings.js'
import type { BuildRecord, TamerStore } from '../store/builds.js'
import type { MetricsStore, ParityReport } from '../store/metrics.js'
import { compareParity, readCsv } from './compare.js'
import { diffPackages, readPackages } from './packages.js'
import { MAX_PACKAGE_CHANGES, type ParityResult } from './result.js'

export interface ParityPost {
  deliveryId: string
  job: string
  buildNumber: number | null
  /** the image's predictions on the reference input, CSV */
  predictions: string
  /** the image's `pip freeze`; null when the stage could not run it */
  packages: string | null
}

export interface ParityGateDeps {
  store: Pick<TamerStore, 'findBuildByDeliveryParam'> & Pick<MetricsStore, 'saveParityReport'>
  metrics: Pick<MetricsGate, 'settingsOf' | 'repoFile'>
  logger: { info(o: object, msg: string): void }
}

export interface ParityGate {
  /** The build and its parity settings (null: the repository asks for none); null when Tamer has no such build. */
  plan(r: { deliveryId: string; job: string }): Promise<{ build: BuildRecord; parity: ParitySettings | null } | null>
  /** Compares and stores; null when Tamer has no such build. */
  report(r: ParityPost): Promise<{ build: BuildRecord; report: ParityReport; result: ParityResult } | null>
}

export function createParityGate(deps: ParityGateDeps): ParityGate {
  const { store } = deps

  async function plan(r: { deliveryId: string; job: string }) {
    const build = await store.findBuildByDeliveryParam(r.job, r.deliveryId)
    if (!build) return null
    return { build, parity: (await deps.metrics.settingsOf(build)).parity }
  }

  return {
    plan,
    async report(post) {
      const planned = await plan(post)
      if (!planned) return null
      const { build, parity } = planned
      const result = parity ? await judge(build, parity, post) : notAsked()
      const report = await store.saveParityReport({
        buildId: build.id,
        tenant: build.tenant,
        repository: build.repository ?? '',
        branch: build.branch,
        commitSha: build.commitSha,
        job: build.job,
        buildNumber: post.buildNumber ?? build.buildNumber,
        pass: result.pass,
        result,
      })
      deps.logger.info(
        { buildId: build.id, pass: result.pass, rows: result.rows, packagesChanged: result.packagesChanged },
        'parity judged',
      )
      return { build, report, result }
    },
  }

  async function judge(build: BuildRecord, parity: ParitySettings, post: ParityPost): Promise<ParityResult> {
    const sha = (build.commitSha ?? '').slice(0, 10)
    const reference = { input: parity.input, predictions: parity.predictions, packages: parity.packages ?? null }
    const notes: string[] = []
    const fail = (reason: string): ParityResult => ({
      pass: false,
      reasons: [reason],
      rows: { reference: 0, image: 0 },
      columns: [],
      differences: [],
      reference,
      packages: null,
      packagesChanged: 0,
      notes,
    })
    let refBytes: Buffer | null
    try {
      refBytes = await deps.metrics.repoFile(build, parity.predictions)
    } catch (err) {
      if (err instanceof RepoFileTooLargeError) return fail(`parity.predictions: ${err.message}`)
      throw err
    }
    if (!refBytes) return fail(`parity.predictions: ${parity.predictions} is not in the repository at ${sha}`)
    const ref = readCsv(refBytes.toString('utf8'))
    if ('error' in ref) return fail(`the reference ${parity.predictions} is ${ref.error}`)
    const img = readCsv(post.predictions)
    const comparison =
      'error' in img
        ? {
            pass: false,
            reasons: [`the image's predictions are ${img.error}`],
            rows: { reference: ref.rows.length, image: 0 },
            columns: [],
            differences: [],
          }
        : compareParity(ref, img, { scores: parity.scores ?? {}, key: parity.key ?? null })

    let packages: ParityResult['packages'] = null
    let packagesChanged = 0
    if (!parity.packages) notes.push('no parity.packages file: package versions not compared')
    else if (post.packages === null) notes.push("the image's pip freeze was not sent: package versions not compared")
    else {
      const dev = await deps.metrics.repoFile(build, parity.packages).catch((err: unknown) => {
        if (err instanceof RepoFileTooLargeError) return null
        throw err
      })
      if (!dev) notes.push(`parity.packages: ${parity.packages} is not in the repository at ${sha}`)
      else {
        const all = diffPackages(readPackages(dev.toString('utf8')), readPackages(post.packages))
        packagesChanged = all.length
        packages = all.slice(0, MAX_PACKAGE_CHANGES)
      }
    }
    return { ...comparison, reference, packages, packagesChanged, notes }
  }
}

/** A parity post for a build whose `.tamer.yml` asks for none: a failure that says so, not a guess. */
function notAsked(): ParityResult {
  return {
    pass: false,
    reasons: ['.tamer.yml has no parity section at this commit: nothing to compare with'],
    rows: { reference: 0, image: 0 },
    columns: [],
    differences: [],
    reference: { input: '', predictions: '', packages: null },
    packages: null,
    packagesChanged: 0,
    notes: [],
  }
}
