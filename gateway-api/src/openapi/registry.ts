/**
 * The route registry: every route declares its method, path, summary, tags,
 * roles and zod schemas once; the same declaration mounts the validating
 * Express handler and feeds {@link buildOpenApiDocument}.
 */
import type { z } from 'zod';
import type { Role } from '../auth/roles';

/** HTTP methods routes may use. */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call a route: anyone, any authenticated user, or holders of at least one listed role. */
export type RouteAuth = 'public' | 'authenticated' | readonly [Role, ...Role[]];

/** One documented response. */
export interface ResponseSpec {
  /** What this response means. */
  readonly description: string;
  /** Body schema (output side); no body when omitted. */
  readonly schema?: z.ZodType;
  /** Media type of the body; `application/json` by default. */
  readonly contentType?: string;
}

/** A request body that the handler reads as a stream (uploads, NDJSON). */
export interface RawBodySpec {
  /** Accepted media types, e.g. `['application/x-ndjson', 'application/json']` or `['multipart/form-data']`. */
  readonly contentTypes: readonly [string, ...string[]];
  /** Byte limit; the route's JSON limit otherwise. */
  readonly limitBytes?: number;
  /** Documentation of the body (schema per media type is not modelled). */
  readonly description?: string;
  /** Optional schema documenting the body's shape (e.g. one NDJSON record). */
  readonly schema?: z.ZodType;
}

/** The documentation half of a route declaration. */
export interface RouteDoc {
  /** HTTP method. */
  readonly method: HttpMethod;
  /** Full path in OpenAPI form, e.g. `/api/v1/users/{id}/disable`. */
  readonly path: string;
  /** Unique operation ID; derived from method and path when omitted. */
  readonly operationId?: string;
  /** One-line summary. */
  readonly summary: string;
  /** Longer description (Markdown). */
  readonly description?: string;
  /** Grouping tags. */
  readonly tags: readonly string[];
  /** Who may call it. */
  readonly auth: RouteAuth;
  /** JSON request body schema. */
  readonly body?: z.ZodType;
  /** Streamed request body. */
  readonly rawBody?: RawBodySpec;
  /** Query-string schema (a `z.object`). */
  readonly query?: z.ZodType;
  /** Path-parameter schema (a `z.object` keyed by `{name}`s in the path). */
  readonly params?: z.ZodType;
  /** Responses by status code. */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** Whether the per-user rate limit applies (default true). */
  readonly rateLimited?: boolean;
}

/** A compiled path template. */
interface Compiled {
  readonly doc: RouteDoc;
  readonly pattern: RegExp;
}

/** Names of the `{params}` in an OpenAPI path template. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] ?? '');
}

/**
 * Converts `/users/{id}/disable` to Express's `/users/:id/disable`.
 * @throws Error on a parameter name that is not an identifier.
 */
export function toExpressPath(path: string): string {
  return path.replace(/\{([^}]*)\}/g, (_m, name: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new Error(`invalid path parameter {${name}} in ${path}`);
    return `:${name}`;
  });
}

function compile(path: string): RegExp {
  const source = path
    .split(/(\{[^}]*\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}/?$`);
}

/** Every declared route, in registration order. */
export class RouteRegistry {
  readonly #routes: Compiled[] = [];

  /**
   * Adds a route.
   * @throws Error when the same method and path (or operation ID) is already registered.
   */
  add(doc: RouteDoc): void {
    if (!doc.path.startsWith('/')) throw new Error(`route path must start with '/': ${doc.path}`);
    toExpressPath(doc.path);
    const clash = this.#routes.find(
      (r) =>
        (r.doc.method === doc.method && r.doc.path === doc.path) ||
        (doc.operationId !== undefined && r.doc.operationId === doc.operationId),
    );
    if (clash !== undefined)
      throw new Error(`route ${doc.method.toUpperCase()} ${doc.path} is registered twice`);
    this.#routes.push({ doc, pattern: compile(doc.path) });
  }

  /** All routes, in registration order. */
  routes(): readonly RouteDoc[] {
    return this.#routes.map((r) => r.doc);
  }

  /**
   * The methods registered for a concrete request path (upper case, with
   * HEAD for GET); empty when no route has this path.
   */
  allowedMethods(requestPath: string): string[] {
    const methods = new Set<string>();
    for (const { doc, pattern } of this.#routes) {
      if (!pattern.test(requestPath)) continue;
      methods.add(doc.method.toUpperCase());
      if (doc.method === 'get') methods.add('HEAD');
    }
    return [...methods];
  }
}
