// The parity result's OpenAPI shape (src/parity/result.ts), shared by the parity routes and /api/builds/:id.
const str = { type: 'string', nullable: true } as const
const num = { type: 'number', nullable: true } as const

export const ParityResultSchema = {
  type: 'object',
  properties: {
    pass: { type: 'boolean' },
    reasons: { type: 'array', items: { type: 'string' } },
    rows: { type: 'object', properties: { reference: { type: 'integer' }, image: { type: 'integer' } } },
    columns: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          kind: { type: 'string', enum: ['label', 'score'] },
          tolerance: num,
          mismatches: { type: 'integer' },
          maxDiff: num,
        },
      },
    },
    differences: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          row: { type: 'integer' },
          key: str,
          column: { type: 'string' },
          expected: { type: 'string' },
          actual: { type: 'string' },
          diff: num,
        },
      },
    },
    reference: {
      type: 'object',
      properties: { input: { type: 'string' }, predictions: { type: 'string' }, packages: str },
    },
    packages: {
      type: 'array',
      nullable: true,
      items: { type: 'object', properties: { name: { type: 'string' }, dev: str, image: str } },
    },
    packagesChanged: { type: 'integer' },
    notes: { type: 'array', items: { type: 'string' } },
  },
} as const
