import { Type, type SchemaOptions } from '@sinclair/typebox';

/** A string enum as plain `{type, enum}`, which OpenAPI 3.0 tools read (TypeBox unions of literals are not). */
export function StringEnum<T extends string>(values: readonly T[], opts: SchemaOptions = {}) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...opts });
}

/** An integer enum as plain `{type, enum}`. */
export function IntegerEnum<T extends number>(values: readonly T[], opts: SchemaOptions = {}) {
  return Type.Unsafe<T>({ type: 'integer', enum: [...values], ...opts });
}

/** RFC 9457 problem details with our stable `code`. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable error code' }),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    parameter: Type.Optional(Type.String()),
  },
  { $id: 'Problem', additionalProperties: true },
);

/** Problem responses by status, for route schemas. */
export function problemResponses(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const status of statuses) out[status] = { description: 'Problem', content: { 'application/problem+json': { schema: Type.Ref(ProblemSchema) } } };
  return out;
}
