/**
 * Public API of the gateway foundations, for feature modules and for the
 * process entry point.
 */
export * from './config';
export * from './feature';
export * from './server';
export * from './main';
export * from './http/errors';
export * from './http/logger';
export * from './http/context';
export * from './http/request-id';
export * from './http/rate-limit';
export * from './http/body';
export * from './http/validate';
export * from './http/pagination';
export * from './http/router';
export * from './openapi/registry';
export * from './openapi/document';
export * from './openapi/routes';
export * from './auth/roles';
export * from './auth/principal';
export * from './auth/pseudonym';
export * from './auth/password';
export * from './auth/keys';
export * from './auth/tokens';
export * from './auth/users';
export * from './auth/middleware';
export * from './auth/user-admin';
export * from './auth/routes';
export * from './auth/demo-users';
export * from './store/db';
export * from './store/sealed';
export * from './ops/metrics';
export * from './ops/routes';
