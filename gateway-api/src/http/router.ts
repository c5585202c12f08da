/**
 * The route builder feature modules use: one declaration per route mounts
 * the Express handler (authentication, role guard, rate limit, body limit,
 * validation) and registers the route in the OpenAPI registry.
 */
import type { Readable } from 'node:stream';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Principal } from '../auth/principal';
import type { Role } from '../auth/roles';
import { pathParamNames, toExpressPath, type RouteAuth, type RouteDoc } from '../openapi/registry';
import type { RouteRegistry } from '../openapi/registry';
import { checkDeclaredLength, checkMediaType, hasBody, limitedBodyStream, readJsonBody } from './body';
import { principalOf, requestIdOf, setRouteTemplate } from './context';
import { AppError } from './errors';
import type { Logger } from './logger';
import { validate } from './validate';

type Infer<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler receives: validated inputs, the caller, and the raw request/response. */
export interface RouteContext<B, Q, P, A extends RouteAuth> {
  /** Validated JSON body (`undefined` when the route declares none). */
  readonly body: B;
  /** Validated query (`undefined` when the route declares none). */
  readonly query: Q;
  /** Validated path parameters (strings keyed by name when the route declares no schema). */
  readonly params: P;
  /** The authenticated caller; `undefined` on public routes. */
  readonly principal: A extends 'public' ? undefined : Principal;
  /** Request ID (also in the `X-Request-Id` response header). */
  readonly requestId: string;
  /** Logger bound to this request's ID. */
  readonly logger: Logger;
  /**
   * The size-limited request body stream, for routes declaring `rawBody`.
   * @throws AppError 500 when the route declared a JSON `body` instead (a programming error).
   */
  bodyStream(): Readable;
  /** The Express request (for headers; the body is already consumed on JSON routes). */
  readonly req: Request;
  /** The Express response (for streaming responses; return `undefined` from the handler then). */
  readonly res: Response;
}

/** What a handler may return: a JSON response, or `undefined` when it wrote the response itself. */
export interface RouteResult {
  /** Status code; 200 by default. */
  readonly status?: number;
  /** JSON body; none for 204. */
  readonly body?: unknown;
  /** Extra headers (e.g. `Location`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A route declaration: documentation, schemas and handler. */
export interface RouteSpec<
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  P extends z.ZodType | undefined = undefined,
  A extends RouteAuth = RouteAuth,
> extends Omit<RouteDoc, 'path' | 'body' | 'query' | 'params' | 'auth'> {
  /** Path relative to the router's base, OpenAPI style: `/users/{id}/disable`. */
  readonly path: string;
  /** Who may call it. */
  readonly auth: A;
  /** JSON body schema. */
  readonly body?: B;
  /** Byte limit for the JSON body; configuration's JSON limit by default. */
  readonly bodyLimitBytes?: number;
  /** Query schema (`z.object`; values arrive as strings, so use `z.coerce` for numbers). */
  readonly query?: Q;
  /** Path-parameter schema (`z.object`). */
  readonly params?: P;
  /** Error code for validation failures of this route; `INVALID_REQUEST` by default. */
  readonly invalidCode?: string;
  /** The handler: business flow lives in a domain module, not here. */
  handler(
    ctx: RouteContext<Infer<B>, Infer<Q>, P extends z.ZodType ? z.output<P> : Record<string, string>, A>,
  ): Promise<RouteResult | undefined> | RouteResult | undefined;
}

/** The route builder handed to every feature module. */
export interface ApiRouter {
  /** Path prefix of every route this router declares (e.g. `/api/v1`). */
  readonly basePath: string;
  /**
   * Declares a route: mounts it and documents it.
   * @throws Error when the method and path are already registered or the path is malformed.
   */
  route<
    B extends z.ZodType | undefined = undefined,
    Q extends z.ZodType | undefined = undefined,
    P extends z.ZodType | undefined = undefined,
    const A extends RouteAuth = RouteAuth,
  >(
    spec: RouteSpec<B, Q, P, A>,
  ): void;
}

/** What {@link ApiRouterImpl} needs from the gateway. */
export interface ApiRouterOptions {
  /** Path prefix, `''` for root routes. */
  readonly basePath: string;
  /** Where routes are documented. */
  readonly registry: RouteRegistry;
  /** Authenticates the bearer token (401 otherwise). */
  readonly authenticate: RequestHandler;
  /** Builds the role guard (403 FORBIDDEN_ROLE otherwise). */
  readonly requireRole: (...roles: Role[]) => RequestHandler;
  /** Per-caller rate limit. */
  readonly rateLimit: RequestHandler;
  /** Default JSON body limit in bytes. */
  readonly jsonBodyLimitBytes: number;
  /** Request-scoped loggers are children of this one. */
  readonly logger: Logger;
}

/** {@link ApiRouter} over an Express router mounted at {@link ApiRouterOptions.basePath}. */
export class ApiRouterImpl implements ApiRouter {
  readonly #options: Readonly<ApiRouterOptions>;
  /** The Express router to mount at `basePath`. */
  readonly express: express.Router;

  /** @param options registry, auth middleware, limits. */
  constructor(options: Readonly<ApiRouterOptions>) {
    this.#options = options;
    this.express = express.Router({ caseSensitive: true, strict: false, mergeParams: false });
  }

  get basePath(): string {
    return this.#options.basePath;
  }

  route<
    B extends z.ZodType | undefined = undefined,
    Q extends z.ZodType | undefined = undefined,
    P extends z.ZodType | undefined = undefined,
    const A extends RouteAuth = RouteAuth,
  >(spec: RouteSpec<B, Q, P, A>): void {
    if (spec.body !== undefined && spec.rawBody !== undefined) {
      throw new Error(`${spec.method.toUpperCase()} ${spec.path}: declare either body or rawBody, not both`);
    }
    const fullPath = `${this.#options.basePath}${spec.path}`;
    const params = spec.params ?? defaultParams(spec.path);
    this.#options.registry.add({
      method: spec.method,
      path: fullPath,
      ...(spec.operationId === undefined ? {} : { operationId: spec.operationId }),
      summary: spec.summary,
      ...(spec.description === undefined ? {} : { description: spec.description }),
      tags: spec.tags,
      auth: spec.auth,
      ...(spec.body === undefined ? {} : { body: spec.body }),
      ...(spec.rawBody === undefined ? {} : { rawBody: spec.rawBody }),
      ...(spec.query === undefined ? {} : { query: spec.query }),
      ...(params === undefined ? {} : { params }),
      responses: spec.responses,
      ...(spec.rateLimited === undefined ? {} : { rateLimited: spec.rateLimited }),
    });

    const chain: RequestHandler[] = [
      (_req, res, next) => {
        setRouteTemplate(res, fullPath);
        next();
      },
    ];
    if (spec.auth !== 'public') chain.push(this.#options.authenticate);
    if (Array.isArray(spec.auth)) chain.push(this.#options.requireRole(...(spec.auth as readonly Role[])));
    if (spec.rateLimited !== false) chain.push(this.#options.rateLimit);
    chain.push(this.#handler(spec, params));
    this.express[spec.method](toExpressPath(spec.path), ...chain);
  }

  #handler<
    B extends z.ZodType | undefined,
    Q extends z.ZodType | undefined,
    P extends z.ZodType | undefined,
    A extends RouteAuth,
  >(spec: RouteSpec<B, Q, P, A>, paramsSchema: z.ZodType | undefined): RequestHandler {
    const code = spec.invalidCode;
    const parseParams =
      paramsSchema === undefined ? undefined : validate(paramsSchema, { code, location: 'params' });
    const parseQuery =
      spec.query === undefined ? undefined : validate(spec.query, { code, location: 'query' });
    const parseBody = spec.body === undefined ? undefined : validate(spec.body, { code, location: 'body' });
    const jsonLimit = spec.bodyLimitBytes ?? this.#options.jsonBodyLimitBytes;
    const raw = spec.rawBody;
    const rawLimit = raw?.limitBytes ?? jsonLimit;

    return async (req: Request, res: Response, _next: NextFunction) => {
      const params: unknown = parseParams === undefined ? { ...req.params } : parseParams({ ...req.params });
      const query: unknown = parseQuery === undefined ? undefined : parseQuery(req.query);
      let body: unknown;
      // Routes that take no body still refuse a declared oversized one rather than drain it.
      if (parseBody === undefined && raw === undefined && hasBody(req)) checkDeclaredLength(req, jsonLimit);
      if (parseBody !== undefined) body = parseBody(await readJsonBody(req, jsonLimit));
      let stream: Readable | undefined;
      if (raw !== undefined) {
        checkMediaType(req, raw.contentTypes);
        stream = limitedBodyStream(req, rawLimit);
      }
      const requestId = requestIdOf(req);
      const ctx = {
        body,
        query,
        params,
        principal: principalOf(req),
        requestId,
        logger: this.#options.logger.child({ reqId: requestId }),
        bodyStream(): Readable {
          if (stream === undefined) throw AppError.internal(`route ${spec.path} has no raw body`);
          return stream;
        },
        req,
        res,
      } as RouteContext<Infer<B>, Infer<Q>, P extends z.ZodType ? z.output<P> : Record<string, string>, A>;
      const result = await spec.handler(ctx);
      if (result === undefined) {
        if (!res.headersSent && !res.writableEnded) {
          throw AppError.internal(`route ${spec.method.toUpperCase()} ${spec.path} sent no response`);
        }
        return;
      }
      for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
      const status = result.status ?? 200;
      if (status === 204 || result.body === undefined) res.status(status).end();
      else res.status(status).json(result.body);
    };
  }
}

/** Path parameters as bounded strings when the route gives no schema. */
function defaultParams(path: string): z.ZodType | undefined {
  const names = pathParamNames(path);
  if (names.length === 0) return undefined;
  return z.object(Object.fromEntries(names.map((n) => [n, z.string().min(1).max(256)])));
}
