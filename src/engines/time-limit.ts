// A notebook pair that took longer than the engine's time limit. Unlike a crash, it is an answer:
// the same pair would take as long again, so the push diff keeps it ("too large to diff in time").

export class DiffTimeLimitError extends Error {
  constructor(
    /** The pair's B name, e.g. `b/train.ipynb`. */
    readonly notebook: string,
    readonly limitMs: number,
  ) {
    super(`could not diff ${notebook}: gave up after ${limitMs} ms`)
    this.name = 'DiffTimeLimitError'
  }
}
