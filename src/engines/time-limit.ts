// A notebook pair that took longer than the engine's time limit. Unlike a crash, it is an answer:
// the same pair would take as long again, so the push diff keeps it ("too large to diff in time").

export class DiffTimeLimitError extends Error {
  readonly notebook: string
  readonly limitMs: number

  constructor(
    /** The pair's B name, e.g. `b/train.ipynb`. */
    notebook: string,
    limitMs: number,
  ) {
    super(`could not diff ${notebook}: gave up after ${limitMs} ms`)
    this.notebook = notebook
    this.limitMs = limitMs
    this.name = 'DiffTimeLimitError'
  }
}
