// The real `jenkins` npm client (1.1.0) with the few types the tests use.
// Loaded through createRequire because the package ships no type declarations;
// a local interface keeps the rest of the code strictly typed without an
// ambient `declare module` that could clash with one elsewhere in the project.
import { createRequire } from 'node:module'

export interface JenkinsClientOptions {
  baseUrl: string
  /** default true in 1.x: fetch a crumb before every POST */
  crumbIssuer?: boolean
  headers?: Record<string, string>
}

export interface JenkinsResponseError extends Error {
  notFound?: boolean
  res?: { statusCode: number; headers: Record<string, string | string[] | undefined>; body?: unknown }
}

export interface JenkinsClient {
  job: {
    build(opts: { name: string; parameters?: Record<string, string>; token?: string; delay?: string }): Promise<number>
    get(name: string | { name: string; tree?: string; depth?: number }): Promise<any>
    exists(name: string): Promise<boolean>
    create(name: string, xml: string): Promise<void>
    config(name: string, xml?: string): Promise<string | undefined>
    destroy(name: string): Promise<void>
  }
  queue: {
    item(id: number): Promise<any>
    list(): Promise<any[]>
    cancel(id: number): Promise<void>
  }
  build: {
    get(name: string, number: number | string): Promise<any>
    log(opts: { name: string; number: number; start?: number; meta?: boolean }): Promise<any>
    stop(name: string, number: number): Promise<void>
  }
  crumbIssuer: { get(): Promise<any> }
}

const require = createRequire(import.meta.url)
export const Jenkins = require('jenkins') as new (opts: JenkinsClientOptions) => JenkinsClient
