/**
 * Per-request values the gateway's middleware attach to a request (request
 * ID, authenticated principal, matched route template), kept in WeakMaps so
 * no global Express type augmentation is needed and nothing outlives the request.
 */
import type { Request, Response } from 'express';
import type { Principal } from '../auth/principal';

const requestIds = new WeakMap<Request, string>();
const principals = new WeakMap<Request, Principal>();
const routeTemplates = new WeakMap<Response, string>();

/** Records the request ID chosen for this request. */
export function setRequestId(req: Request, id: string): void {
  requestIds.set(req, id);
}

/** The request ID, or `'-'` when the request-id middleware has not run. */
export function requestIdOf(req: Request): string {
  return requestIds.get(req) ?? '-';
}

/** Records the authenticated caller. */
export function setPrincipal(req: Request, principal: Principal): void {
  principals.set(req, principal);
}

/** The authenticated caller, or `undefined` on public routes and before authentication. */
export function principalOf(req: Request): Principal | undefined {
  return principals.get(req);
}

/** Records the OpenAPI path template (e.g. `/api/v1/users/{id}`) that matched, for metrics. */
export function setRouteTemplate(res: Response, template: string): void {
  routeTemplates.set(res, template);
}

/** The matched path template, or `undefined` when no registered route matched. */
export function routeTemplateOf(res: Response): string | undefined {
  return routeTemplates.get(res);
}
