// One route-validator compiler for every app of a process: Fastify's own (@fastify/ajv-compiler, same Ajv
// options and formats), shared instead of built again by each app. An app compiles ~70 validators and a
// fresh Ajv (~0.15 s of CPU); the tests compose several apps per file (issue #11: suite time).
// https://fastify.dev/docs/latest/Reference/Server/#schemacontroller
import AjvCompiler from '@fastify/ajv-compiler'

type Compile = ReturnType<AjvCompiler.BuildCompilerFromPool>
type Validate = ReturnType<Compile>

// Ajv instances by external schemas and options, as each app's own selector keeps them.
const pool = AjvCompiler()
// Validators by schema text: routes build their schemas per app, so the same schema is a new object each time.
const compiled = new WeakMap<Compile, Map<string, Validate>>()

/** `schemaController.compilersFactory.buildValidator` for Fastify. */
export const sharedValidatorCompiler: AjvCompiler.BuildCompilerFromPool = (externalSchemas, options) => {
  const compile = pool(externalSchemas, options)
  let byText = compiled.get(compile)
  if (byText === undefined) compiled.set(compile, (byText = new Map()))
  const validators = byText
  return (route) => {
    if (route.httpPart === 'headers') assertLowerCaseHeaderNames(route.schema, `${route.method} ${route.url}`)
    // Ajv's code depends on the schema's JSON alone (and the pool's options and external schemas).
    const text = JSON.stringify(route.schema)
    let validate = validators.get(text)
    if (validate === undefined) validators.set(text, (validate = compile(route)))
    return validate
  }
}

/**
 * Fastify lowercases the header names of a headers schema before its own compiler sees it, but hands
 * a custom compiler (this one) the schema as written: a header named in any other case would never
 * match. Refused at start-up instead, so both compile the same schema.
 * https://fastify.dev/docs/latest/Reference/Validation-and-Serialization/#validation
 */
export function assertLowerCaseHeaderNames(schema: unknown, route: string, inPropertyNames = false): void {
  if (Array.isArray(schema)) return schema.forEach((s) => assertLowerCaseHeaderNames(s, route, inPropertyNames))
  if (schema === null || typeof schema !== 'object') return
  const names: unknown[] = []
  for (const [key, value] of Object.entries(schema)) {
    if (['properties', 'dependencies', 'dependentSchemas', 'dependentRequired'].includes(key) && isObject(value))
      for (const [name, sub] of Object.entries(value)) names.push(name, ...(Array.isArray(sub) ? sub : []))
    if (key === 'required' && Array.isArray(value)) names.push(...value)
    if (inPropertyNames && key === 'enum' && Array.isArray(value)) names.push(...value)
    if (inPropertyNames && key === 'const') names.push(value)
    assertLowerCaseHeaderNames(value, route, inPropertyNames || key === 'propertyNames')
  }
  const upper = names.find((n) => typeof n === 'string' && n !== n.toLowerCase())
  if (upper !== undefined) throw new Error(`bug: ${route}: write the header name "${upper}" in lower case`)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
