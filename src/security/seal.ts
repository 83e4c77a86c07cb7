// Sealing secret values at rest with AES-256-GCM from node:crypto (NIST SP 800-38D,
// https://nodejs.org/api/crypto.html#class-cipher): a fresh random 96-bit IV per value, the
// 128-bit tag checked on every open, and the row's identity as additional authenticated data,
// so a sealed value cannot be moved to another row (another tenant, another kind) and still open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { SecretUndecryptableError } from '../errors.js'
import type { MasterKey } from './master-key.js'

export interface Sealed {
  keyId: string
  iv: Buffer
  ciphertext: Buffer
  tag: Buffer
}

const ALGORITHM = 'aes-256-gcm'
const IV_BYTES = 12
const TAG_BYTES = 16

export function seal(key: MasterKey, plaintext: string, aad: string): Sealed {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv(ALGORITHM, key.key, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(Buffer.from(aad, 'utf8'))
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return { keyId: key.id, iv, ciphertext, tag: cipher.getAuthTag() }
}

/** The plaintext; SecretUndecryptableError when the key is wrong or anything (value, IV, tag, AAD) was altered. */
export function unseal(key: MasterKey, s: Sealed, aad: string, name: string): string {
  if (s.keyId !== key.id) throw new SecretUndecryptableError(name, `it is sealed under key ${s.keyId}, not ${key.id}`)
  try {
    const decipher = createDecipheriv(ALGORITHM, key.key, s.iv, { authTagLength: TAG_BYTES })
    decipher.setAAD(Buffer.from(aad, 'utf8'))
    decipher.setAuthTag(s.tag)
    return Buffer.concat([decipher.update(s.ciphertext), decipher.final()]).toString('utf8')
  } catch {
    throw new SecretUndecryptableError(
      name,
      'the authentication tag does not match (altered, or another key with the same id)',
    )
  }
}
