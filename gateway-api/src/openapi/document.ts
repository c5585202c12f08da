/**
 * Builds the OpenAPI 3.1 document from the route registry with zod 4's
 * `z.toJSONSchema`, so the schemas that validate requests are the ones
 * documented. Schemas carrying a `.meta({ id })` become shared components.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { ErrorBodySchema } from '../http/errors';
import { pathParamNames, type RouteDoc, type RouteRegistry } from './registry';

/** Top-level document information. */
export interface OpenApiInfo {
  /** API title. */
  readonly title: string;
  /** API version. */
  readonly version: string;
  /** Markdown description. */
  readonly description?: string;
}

type JsonSchema = Record<string, unknown>;

/** An OpenAPI 3.1 document (loosely typed: it is only serialised). */
export type OpenApiDocument = Record<string, unknown>;

/** Collects named component schemas while converting. */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  /**
   * Converts a zod schema for one direction (`input` for requests, `output`
   * for responses), hoisting its `$defs` into `components.schemas`.
   */
  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const raw = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      cycles: 'ref',
      reused: 'inline',
    }) as JsonSchema;
    delete raw.$schema;
    const defs = (raw.$defs ?? {}) as Record<string, JsonSchema>;
    delete raw.$defs;

    // Same id, different shape (e.g. input vs output defaults): keep both under distinct names.
    const names = new Map<string, string>();
    for (const [id, def] of Object.entries(defs)) {
      let name = id;
      for (
        let n = 2;
        this.schemas[name] !== undefined && !this.#sameAfterRename(name, def, defs, names);
        n++
      ) {
        name = io === 'input' && n === 2 ? `${id}Input` : `${id}${n}`;
      }
      names.set(id, name);
    }
    for (const [id, def] of Object.entries(defs)) {
      const name = names.get(id) ?? id;
      this.schemas[name] = rewriteRefs(def, names) as JsonSchema;
    }
    return rewriteRefs(raw, names) as JsonSchema;
  }

  #sameAfterRename(
    name: string,
    def: JsonSchema,
    defs: Record<string, JsonSchema>,
    names: Map<string, string>,
  ): boolean {
    const provisional = new Map(names);
    for (const id of Object.keys(defs)) if (!provisional.has(id)) provisional.set(id, id);
    return isDeepStrictEqual(this.schemas[name], rewriteRefs(def, provisional));
  }
}

function rewriteRefs(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, names));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
        const id = v.slice('#/$defs/'.length);
        return [k, `#/components/schemas/${names.get(id) ?? id}`];
      }
      return [k, rewriteRefs(v, names)];
    }),
  );
}

function operationId(doc: RouteDoc): string {
  if (doc.operationId !== undefined) return doc.operationId;
  const words = doc.path
    .split('/')
    .filter((p) => p !== '' && p !== 'api' && !/^v\d+$/.test(p))
    .map((p) => (p.startsWith('{') ? `by ${p.slice(1, -1)}` : p))
    .join(' ')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '');
  return [doc.method, ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}

const ERROR_RESPONSE = { $ref: '#/components/responses/Error' };

function parameters(doc: RouteDoc, components: Components): unknown[] {
  const out: unknown[] = [];
  const add = (schema: z.ZodType | undefined, where: 'path' | 'query', names?: readonly string[]): void => {
    const json = schema === undefined ? undefined : components.convert(schema, 'input');
    const properties = (json?.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json?.required ?? []) as string[]);
    const all = names ?? Object.keys(properties);
    for (const name of all) {
      const property = properties[name] ?? { type: 'string' };
      const { description, ...rest } = property;
      out.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  };
  add(doc.params, 'path', pathParamNames(doc.path));
  add(doc.query, 'query');
  return out;
}

function requestBody(doc: RouteDoc, components: Components): unknown {
  if (doc.body !== undefined) {
    return {
      required: !doc.body.safeParse(undefined).success,
      content: { 'application/json': { schema: components.convert(doc.body, 'input') } },
    };
  }
  if (doc.rawBody !== undefined) {
    const schema = doc.rawBody.schema === undefined ? {} : components.convert(doc.rawBody.schema, 'input');
    return {
      required: true,
      ...(doc.rawBody.description === undefined ? {} : { description: doc.rawBody.description }),
      content: Object.fromEntries(doc.rawBody.contentTypes.map((t) => [t, { schema }])),
    };
  }
  return undefined;
}

function responses(doc: RouteDoc, components: Components): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(doc.responses)) {
    // Error statuses documented without a schema still answer with the error body.
    const schema =
      spec.schema !== undefined
        ? components.convert(spec.schema, 'output')
        : Number(status) >= 400
          ? components.convert(ErrorBodySchema, 'output')
          : undefined;
    out[status] = {
      description: spec.description,
      ...(schema === undefined ? {} : { content: { [spec.contentType ?? 'application/json']: { schema } } }),
    };
  }
  const standard: [boolean, string][] = [
    [doc.body !== undefined || doc.query !== undefined || doc.params !== undefined, '400'],
    [doc.auth !== 'public', '401'],
    [Array.isArray(doc.auth), '403'],
    [doc.body !== undefined || doc.rawBody !== undefined, '413'],
    [doc.rateLimited !== false, '429'],
  ];
  for (const [applies, status] of standard)
    if (applies && out[status] === undefined) out[status] = ERROR_RESPONSE;
  out.default = ERROR_RESPONSE;
  return out;
}

function rolesText(doc: RouteDoc): string {
  if (doc.auth === 'public') return 'Public.';
  if (doc.auth === 'authenticated') return 'Any authenticated user.';
  return `Roles: ${doc.auth.join(', ')}.`;
}

/**
 * Builds the OpenAPI 3.1 document for every route in `registry`.
 *
 * @throws Error when a schema cannot be converted (e.g. a transform with no JSON Schema equivalent in `throw` mode).
 */
export function buildOpenApiDocument(registry: RouteRegistry, info: OpenApiInfo): OpenApiDocument {
  const components = new Components();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const doc of registry.routes()) {
    const params = parameters(doc, components);
    const body = requestBody(doc, components);
    const description = [doc.description, rolesText(doc)].filter((d) => d !== undefined).join('\n\n');
    (paths[doc.path] ??= {})[doc.method] = {
      operationId: operationId(doc),
      summary: doc.summary,
      description,
      tags: [...doc.tags],
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(body === undefined ? {} : { requestBody: body }),
      responses: responses(doc, components),
      security: doc.auth === 'public' ? [] : [{ bearerAuth: [] }],
      'x-roles': doc.auth === 'public' || doc.auth === 'authenticated' ? [] : [...doc.auth],
    };
  }
  const error = components.convert(ErrorBodySchema, 'output');
  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      ...(info.description === undefined ? {} : { description: info.description }),
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: components.schemas,
      responses: {
        Error: { description: 'Error: see `error.code`', content: { 'application/json': { schema: error } } },
      },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT (ES256), from POST /api/v1/auth/token',
        },
      },
    },
  };
}
