// The master key that seals stored secrets: 32 random bytes given as base64 or hex in
// TAMER_MASTER_KEY (or a file named by TAMER_MASTER_KEY_FILE); TAMER_MASTER_KEY_OLD is the
// previous key during `tamer secrets rotate`. Make one with `openssl rand -base64 32`.
import { createHash } from 'node:crypto'
import { secretEnv } from '../config/env-files.js'
import { MasterKeyInvalidError } from '../errors.js'
import { registerSecret } from './secrets.js'

export interface MasterKey {
  /** Stored next to every value sealed with this key, so the key a value needs can be named. */
  id: string
  key: Buffer
}

export interface MasterKeys {
  current: MasterKey | null
  old: MasterKey | null
}

/**
 * A short public name of a key: the first 64 bits of SHA-256 over a fixed label and the key.
 * It tells keys apart and says nothing about them (the key has 256 bits of entropy).
 */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('tamer master key id\0').update(key).digest('hex').slice(0, 16)
}

/** 32 bytes from base64 (standard or URL alphabet) or 64 hex digits; anything else is refused. */
export function parseMasterKey(variable: string, text: string): MasterKey {
  const s = text.trim()
  let key: Buffer | null = null
  if (/^[0-9a-fA-F]{64}$/.test(s)) key = Buffer.from(s, 'hex')
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) key = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
  if (!key || key.length !== 32) throw new MasterKeyInvalidError(variable)
  registerSecret(text)
  registerSecret(s)
  return { id: keyId(key), key }
}

export function masterKeysFromEnv(env: NodeJS.ProcessEnv): MasterKeys {
  const current = secretEnv(env, 'TAMER_MASTER_KEY')
  const old = secretEnv(env, 'TAMER_MASTER_KEY_OLD')
  return {
    current: current ? parseMasterKey('TAMER_MASTER_KEY', current) : null,
    old: old ? parseMasterKey('TAMER_MASTER_KEY_OLD', old) : null,
  }
}
