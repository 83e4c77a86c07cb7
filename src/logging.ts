// pino JSON logs. Anything that authenticates is redacted wherever it appears.
import { pino, type DestinationStream, type Logger } from 'pino'

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature"]',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-gitlab-token"]',
  'req.headers["webhook-signature"]',
  'headers.authorization',
  'headers["x-hub-signature"]',
  'headers["x-hub-signature-256"]',
  'headers["x-gitlab-token"]',
  'headers["webhook-signature"]',
  '*.secret',
  '*.secrets',
  '*.token',
  '*.tokens',
  '*.signingTokens',
  '*.password',
]

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination)
}
