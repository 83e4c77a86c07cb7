// pino JSON logs. Anything that authenticates is redacted wherever it appears: by key (the
// headers and config keys that carry secrets) and by value (every configured secret and known
// token shape, src/security/secrets.ts), so a secret inside an error message is masked too.
import { pino, type DestinationStream, type Logger } from 'pino'
import { createMask, maskDeep, type Mask, SECRET_HEADER_NAMES, SECRET_KEYS } from './security/secrets.js'

const header = (name: string) => (/^[a-z]+$/.test(name) ? `.${name}` : `["${name}"]`)

export const REDACT_PATHS = [
  ...SECRET_HEADER_NAMES.map((h) => `req.headers${header(h)}`),
  ...SECRET_HEADER_NAMES.map((h) => `headers${header(h)}`),
  ...SECRET_KEYS.map((k) => `*.${k}`),
]

export interface LoggerOptions {
  /** Values masked in every line (see secretValues); token shapes are masked regardless. */
  secrets?: readonly string[]
}

function maskLine(line: string, mask: Mask): string {
  try {
    return `${JSON.stringify(maskDeep(JSON.parse(line), mask))}\n`
  } catch {
    return mask(line)
  }
}

export function createLogger(level: string, destination?: DestinationStream, options: LoggerOptions = {}): Logger {
  const mask = createMask(options.secrets ?? [])
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Masked on the parsed line, so a mask can never break the JSON around a value.
      hooks: { streamWrite: (line) => maskLine(line, mask) },
    },
    destination,
  )
}
