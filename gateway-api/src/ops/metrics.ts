/** Prometheus metrics: default process metrics plus request durations by route template. */
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { routeTemplateOf } from '../http/context';

/** Label used when no registered route matched (404/405, static files), bounding label cardinality. */
export const UNMATCHED_ROUTE = 'unmatched';

/** HTTP metrics bound to one registry. */
export interface HttpMetrics {
  /** The registry `/metrics` exposes. */
  readonly registry: Registry;
  /** Middleware observing each request's duration when its response finishes. */
  readonly middleware: RequestHandler;
}

/** Creates a registry with default metrics and `http_request_duration_seconds{method,route,status}`. */
export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const middleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.once('finish', () => {
      end({
        method: req.method,
        route: routeTemplateOf(res) ?? UNMATCHED_ROUTE,
        status: String(res.statusCode),
      });
    });
    next();
  };
  return { registry, middleware };
}
