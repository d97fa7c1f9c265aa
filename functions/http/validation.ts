import { z } from 'zod';
import { API_DOCS_HINT, InvalidParameterValueError } from '#domain/errors.ts';

/**
 * Field schemas shared by every operation. They accept both transports:
 * query-string values arrive as strings (or arrays for repeated keys), JSON
 * bodies carry real types. int64 fields take a number or a numeric string,
 * as protobuf's JSON parser does.
 */
export const fields = {
  string: () => z.string(),
  optionalString: () => z.string().optional(),
  int64: () =>
    z.union([
      z.number().int(),
      z
        .string()
        .regex(/^-?\d+$/)
        .transform((value) => Number(value)),
    ]),
  boolean: () =>
    z.union([
      z.boolean(),
      z.enum(['true', 'false']).transform((value) => value === 'true'),
    ]),
  /** A repeated field: one query value is a one-element list. */
  stringList: () =>
    z.preprocess(
      (value) => (typeof value === 'string' ? [value] : value),
      z.array(z.string())
    ),
  tags: () =>
    z.array(
      z.object({
        key: z.string(),
        value: z
          .string()
          .nullish()
          .transform((value) => value ?? ''),
      })
    ),
};

/**
 * Validates raw input against an operation's schema, turning the first issue
 * into MLflow's wording, e.g. "Missing value for required parameter 'name'."
 * @throws InvalidParameterValueError
 */
export function parseInput<T>(
  schema: z.ZodType<T>,
  raw: Record<string, unknown>
): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  const value = valueAt(raw, issue?.path ?? []);
  if (value === undefined || value === null) {
    throw new InvalidParameterValueError(
      `Missing value for required parameter '${path}'. ${API_DOCS_HINT}`
    );
  }
  throw new InvalidParameterValueError(
    `Invalid value ${truncate(JSON.stringify(value))} for parameter '${path}' supplied. ${API_DOCS_HINT}`
  );
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let current = raw;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function truncate(text: string | undefined): string {
  if (text === undefined) return 'undefined';
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

/** A model version number: a string (MLflow) or a number (SDK callers). */
export const versionField = () => z.union([z.string(), z.number()]);
