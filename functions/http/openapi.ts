import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { OperationSpec } from './api-handler.ts';
import { errorCodeToHttpStatus } from './error-mapping.ts';
import {
  type HttpMethod,
  type RouteDefinition,
  routeKey,
  routes as routeTable,
} from './routes.ts';

/**
 * The API reference, an OpenAPI 3.1 document, generated from the route
 * table and each route's operation: its input schema (query parameters for
 * GET and DELETE, a JSON body otherwise, path parameters from the path),
 * its output schema (the 200 body) and the ability it takes. Schemas that
 * carry a zod `id` (`.meta({ id })`) become shared components. Served at
 * `GET /api/openapi.json` and kept as `docs/openapi.json`
 * (functions/roots/openapi.ts writes it; docs/api.md says how to add a
 * route).
 */
export type JsonObject = { [key: string]: unknown };

/** A route whose operation (and so whose schemas) cannot be found. */
export class RouteWithoutSchemaError extends Error {
  override readonly name = 'RouteWithoutSchemaError';
}

export const OPENAPI_PATH = '/api/openapi.json';

const COMPONENT_REF = '#/components/schemas/';

export interface OpenApiOptions {
  /** The registry's version (`info.version`). */
  readonly version: string;
  /** @default the route table */
  readonly routes?: readonly RouteDefinition[];
}

/**
 * @throws RouteWithoutSchemaError naming every route without an operation,
 *   and every operation without input or output schema.
 */
export function buildOpenApiDocument(
  operations: readonly OperationSpec[],
  options: OpenApiOptions
): JsonObject {
  const routes = options.routes ?? routeTable;
  const byName = new Map(operations.map((o) => [o.operation, o]));
  const missing = routes
    .filter((route) => {
      const operation = byName.get(route.operation);
      return !operation?.input || !operation.output || !operation.summary;
    })
    .map((route) => `${routeKey(route)} (operation ${route.operation})`);
  if (missing.length > 0) {
    throw new RouteWithoutSchemaError(
      `Routes without an operation with a summary, an input and an output schema: ${missing.join(', ')}. Declare each with defineOperation({ operation, summary, input, output, run }) and list it in its group's root (docs/api.md, "Adding a route").`
    );
  }
  const components = new Components();
  const repeated = new Set(
    routes
      .map((r) => r.operation)
      .filter((name, i, all) => all.indexOf(name) !== i)
  );
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    const operation = byName.get(route.operation) as OperationSpec;
    const path = route.path.replace(/\{([^}]+)\+\}/g, '{$1}');
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operationObject(
      route,
      operation,
      components,
      repeated.has(route.operation)
    );
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'stagegate',
      version: options.version,
      summary:
        'A model registry with governed stage transitions, speaking the MLflow and Databricks REST APIs.',
      description: `Every route but \`/health\`, this document and Slack's callback (signed by Slack instead) needs a token: \`Authorization: Bearer <token>\` (or Basic, the token as the password). Errors are \`{"error_code", "message"}\`: ${errorCodes()}. \`x-stagegate-ability\` names the ability of the permission table a route takes.`,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/', description: 'The registry serving this document' }],
    security: [{ bearerToken: [] }, { basicToken: [] }],
    paths,
    components: {
      schemas: components.sorted(),
      responses: {
        Error: {
          description: 'An error, as MLflow and Databricks answer them.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  error_code: {
                    type: 'string',
                    enum: Object.keys(errorCodeToHttpStatus),
                  },
                  message: { type: 'string' },
                },
                required: ['error_code', 'message'],
              },
            },
          },
        },
      },
      securitySchemes: {
        bearerToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A personal access or service principal token (`dapi…`).',
        },
        basicToken: {
          type: 'http',
          scheme: 'basic',
          description: "The token as the password (MLflow's basic auth).",
        },
      },
    },
  };
}

/** `INVALID_PARAMETER_VALUE 400, …`, from the one error table. */
function errorCodes(): string {
  return Object.entries(errorCodeToHttpStatus)
    .map(([code, status]) => `${code} ${status}`)
    .join(', ');
}

const QUERY_METHODS: ReadonlySet<HttpMethod> = new Set(['GET', 'DELETE']);

/** The request bodies that are no JSON object (`RouteDefinition.body`). */
const BODIES: Record<NonNullable<RouteDefinition['body']>, JsonObject> = {
  raw: {
    required: false,
    description: "A file's bytes, whatever the content type (none needed).",
    content: {
      'application/octet-stream': {
        schema: {
          type: 'string',
          contentMediaType: 'application/octet-stream',
        },
      },
    },
  },
  form: {
    required: true,
    content: {
      'application/x-www-form-urlencoded': {
        schema: {
          type: 'object',
          additionalProperties: { type: 'string' },
        },
      },
    },
  },
};

function operationObject(
  route: RouteDefinition,
  operation: OperationSpec,
  components: Components,
  repeated: boolean
): JsonObject {
  const pathNames = [...route.path.matchAll(/\{([^}+]+)\+?\}/g)].map(
    (match) => match[1] as string
  );
  const input = components.objectSchema(operation.input, 'input');
  const fields = Object.entries(input.properties).filter(
    ([name]) => !pathNames.includes(name)
  );
  const parameters: JsonObject[] = pathNames.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: input.properties[name] ?? { type: 'string' },
    ...(route.path.includes(`{${name}+}`)
      ? { description: 'The rest of the path, slashes included.' }
      : {}),
  }));
  let requestBody: JsonObject | undefined;
  if (QUERY_METHODS.has(route.method) || route.body !== undefined) {
    for (const [name, schema] of fields) {
      parameters.push({
        name,
        in: 'query',
        required: input.required.includes(name),
        schema,
      });
    }
  } else {
    const required = input.required.filter((name) =>
      fields.some(([field]) => field === name)
    );
    requestBody = {
      required: required.length > 0,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: Object.fromEntries(fields),
            ...(required.length > 0 ? { required } : {}),
          },
        },
      },
    };
  }
  if (route.body !== undefined) requestBody = BODIES[route.body];
  const success =
    operation.output === 'html'
      ? {
          '200': {
            description: 'A page for a browser.',
            content: { 'text/html': { schema: { type: 'string' } } },
          },
        }
      : operation.output === 'redirect'
        ? {
            '302': {
              description: 'A redirect to a short-lived presigned URL.',
              headers: { Location: { schema: { type: 'string' } } },
            },
          }
        : {
            '200': {
              description: 'OK',
              content: {
                'application/json': {
                  schema: components.schema(operation.output, 'output'),
                },
              },
            },
          };
  return {
    operationId: repeated
      ? `${route.operation}${route.method[0]}${route.method.slice(1).toLowerCase()}`
      : route.operation,
    summary: operation.summary,
    tags: [route.group],
    ...(route.method === 'DELETE' && fields.length > 0
      ? {
          description:
            "The parameters may also be sent as a JSON body, as MLflow's client does.",
        }
      : {}),
    ...(route.action === 'public'
      ? { security: [] }
      : route.action === 'client'
        ? {
            // The OAuth client authenticates to the operation itself.
            security: [],
            'x-stagegate-ability': route.action,
          }
        : { 'x-stagegate-ability': route.action }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: {
      ...success,
      '4XX': { $ref: '#/components/responses/Error' },
      '5XX': { $ref: '#/components/responses/Error' },
    },
  };
}

/**
 * The shared schemas, by zod id. An id converted for input is named
 * `<id>Input`, since the two forms differ (an output object is closed, an
 * input one is not).
 */
class Components {
  readonly #schemas = new Map<string, JsonObject>();

  /** A JSON Schema (2020-12, as OpenAPI 3.1 uses) with refs to components. */
  schema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
    const {
      $schema: _,
      $defs,
      ...root
    } = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      target: 'draft-2020-12',
    }) as JsonObject & { $defs?: Record<string, JsonObject> };
    const name = (id: string) => (io === 'input' ? `${id}Input` : id);
    const refs = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(refs);
      if (typeof value !== 'object' || value === null) return value;
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) =>
          key === '$ref' && typeof item === 'string'
            ? [key, COMPONENT_REF + name(item.replace('#/$defs/', ''))]
            : [key, refs(item)]
        )
      );
    };
    for (const [id, definition] of Object.entries($defs ?? {})) {
      const rewritten = refs(definition) as JsonObject;
      const existing = this.#schemas.get(name(id));
      if (existing && !isDeepStrictEqual(existing, rewritten)) {
        throw new Error(`Two different schemas carry the id ${id}`);
      }
      this.#schemas.set(name(id), rewritten);
    }
    return refs(root) as JsonObject;
  }

  /** An input schema as properties and required names, for parameters. */
  objectSchema(
    schema: z.ZodType,
    io: 'input' | 'output'
  ): { properties: Record<string, JsonObject>; required: string[] } {
    let json = this.schema(schema, io);
    if (typeof json.$ref === 'string') {
      json = this.#schemas.get(json.$ref.slice(COMPONENT_REF.length)) ?? {};
    }
    if (json.type !== 'object') {
      throw new RouteWithoutSchemaError(
        `An operation's input must be a zod object, not ${JSON.stringify(json).slice(0, 200)}`
      );
    }
    return {
      properties: (json.properties ?? {}) as Record<string, JsonObject>,
      required: (json.required ?? []) as string[],
    };
  }

  sorted(): Record<string, JsonObject> {
    return Object.fromEntries(
      [...this.#schemas].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    );
  }
}
