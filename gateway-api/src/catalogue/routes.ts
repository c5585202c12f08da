/** Catalogue routes: parse, validate, call the {@link CatalogueService}. */
import { z } from 'zod';
import type { Role } from '../auth/roles';
import type { DomainModuleFactory } from '../domain';
import type { GatewayDeps } from '../feature';
import { pageSchema } from '../http/pagination';
import type { ApiRouter } from '../http/router';
import {
  AssetTypeChangeSchema,
  AssetTypeSchema,
  AssetTypeVersionSchema,
  CatalogueTypeParamsSchema,
  DatasetTypeChangeSchema,
  DatasetTypeSchema,
  DatasetTypeVersionSchema,
  DefineAssetTypeSchema,
  DefineDatasetTypeSchema,
} from './schemas';
import { CatalogueServiceImpl, type CatalogueService } from './service';

const TAGS = ['catalogue'];
const REGULATOR: readonly [Role, ...Role[]] = ['REGULATOR_ADMIN'];
const WRITE_403 = {
  description:
    'FORBIDDEN_ROLE, FORBIDDEN (the ledger admits the regulator’s organisation only) or MEMBER_SUSPENDED',
};
const LIST_400 = { description: 'INVALID_REQUEST, PAGE_SIZE_TOO_LARGE or INVALID_CURSOR' };
const SUSPENDED = { description: 'MEMBER_SUSPENDED' };

/** Declares the catalogue routes on `router`. */
export function registerCatalogueRoutes(
  router: ApiRouter,
  deps: GatewayDeps,
  service: CatalogueService,
): void {
  const pageQuery = z.object(deps.pageQuery).strict();
  const location = (kind: string, code: string): string => `${router.basePath}/catalogue/${kind}/${code}`;

  router.route({
    method: 'get',
    path: '/catalogue/dataset-types',
    summary: 'List dataset types with provider, frequency and current schema version (any member)',
    tags: TAGS,
    auth: 'authenticated',
    query: pageQuery,
    responses: {
      200: { description: 'A page of dataset types, by code', schema: pageSchema(DatasetTypeSchema) },
      400: LIST_400,
      403: SUSPENDED,
    },
    async handler({ query, principal }) {
      return {
        body: await service.listDatasetTypes(principal, { limit: query.limit, cursor: query.cursor }),
      };
    },
  });

  router.route({
    method: 'get',
    path: '/catalogue/dataset-types/{type}',
    summary: 'Read a dataset type (any member)',
    tags: TAGS,
    auth: 'authenticated',
    params: CatalogueTypeParamsSchema,
    responses: {
      200: { description: 'The dataset type', schema: DatasetTypeSchema },
      400: { description: 'INVALID_REQUEST: malformed code' },
      403: SUSPENDED,
      404: { description: 'NOT_FOUND: not defined' },
    },
    async handler({ params, principal }) {
      return { body: await service.getDatasetType(principal, params.type) };
    },
  });

  router.route({
    method: 'post',
    path: '/catalogue/dataset-types',
    summary: 'Define a dataset type (the regulator)',
    tags: TAGS,
    auth: REGULATOR,
    body: DefineDatasetTypeSchema,
    responses: {
      201: { description: 'Defined', schema: DatasetTypeChangeSchema },
      400: {
        description:
          'INVALID_REQUEST, or INVALID (provider not a data provider, subject field, reserved code)',
      },
      403: WRITE_403,
      409: { description: 'CONFLICT: defined already' },
    },
    async handler({ body, principal }) {
      const change = await service.defineDatasetType(principal, body);
      return { status: 201, body: change, headers: { Location: location('dataset-types', body.code) } };
    },
  });

  router.route({
    method: 'put',
    path: '/catalogue/dataset-types/{type}',
    summary: 'Publish a new schema version of a dataset type (the regulator); versions only increase',
    tags: TAGS,
    auth: REGULATOR,
    params: CatalogueTypeParamsSchema,
    body: DatasetTypeVersionSchema,
    responses: {
      200: { description: 'The new version', schema: DatasetTypeChangeSchema },
      400: { description: 'INVALID_REQUEST, or INVALID (the provider changed)' },
      403: WRITE_403,
      404: { description: 'NOT_FOUND: not defined' },
      409: { description: 'CONFLICT: schemaVersion does not exceed the current one' },
    },
    async handler({ params, body, principal }) {
      return { body: await service.updateDatasetType(principal, params.type, body) };
    },
  });

  router.route({
    method: 'get',
    path: '/catalogue/asset-types',
    summary:
      'List asset types (rural collateral classes) with issuer, lien policy, LTV cap and version (any member)',
    tags: TAGS,
    auth: 'authenticated',
    query: pageQuery,
    responses: {
      200: { description: 'A page of asset types, by code', schema: pageSchema(AssetTypeSchema) },
      400: LIST_400,
      403: SUSPENDED,
    },
    async handler({ query, principal }) {
      return { body: await service.listAssetTypes(principal, { limit: query.limit, cursor: query.cursor }) };
    },
  });

  router.route({
    method: 'get',
    path: '/catalogue/asset-types/{type}',
    summary: 'Read an asset type (any member)',
    tags: TAGS,
    auth: 'authenticated',
    params: CatalogueTypeParamsSchema,
    responses: {
      200: { description: 'The asset type', schema: AssetTypeSchema },
      400: { description: 'INVALID_REQUEST: malformed code' },
      403: SUSPENDED,
      404: { description: 'NOT_FOUND: not defined' },
    },
    async handler({ params, principal }) {
      return { body: await service.getAssetType(principal, params.type) };
    },
  });

  router.route({
    method: 'post',
    path: '/catalogue/asset-types',
    summary: 'Define an asset type (the regulator)',
    tags: TAGS,
    auth: REGULATOR,
    body: DefineAssetTypeSchema,
    responses: {
      201: { description: 'Defined', schema: AssetTypeChangeSchema },
      400: { description: 'INVALID_REQUEST, or INVALID (issuer not a data provider)' },
      403: WRITE_403,
      409: { description: 'CONFLICT: defined already' },
    },
    async handler({ body, principal }) {
      const change = await service.defineAssetType(principal, body);
      return { status: 201, body: change, headers: { Location: location('asset-types', body.code) } };
    },
  });

  router.route({
    method: 'put',
    path: '/catalogue/asset-types/{type}',
    summary:
      'Publish a new version of an asset type (the regulator); versions only increase, the issuer stays',
    tags: TAGS,
    auth: REGULATOR,
    params: CatalogueTypeParamsSchema,
    body: AssetTypeVersionSchema,
    responses: {
      200: { description: 'The new version', schema: AssetTypeChangeSchema },
      400: { description: 'INVALID_REQUEST, or INVALID (the issuer changed)' },
      403: WRITE_403,
      404: { description: 'NOT_FOUND: not defined' },
      409: { description: 'CONFLICT: version does not exceed the current one' },
    },
    async handler({ params, body, principal }) {
      return { body: await service.updateAssetType(principal, params.type, body) };
    },
  });
}

/** The catalogue: dataset and asset types read by every member, defined and versioned by the regulator. */
export const catalogueModule: DomainModuleFactory = function catalogue(ctx, deps) {
  const service = new CatalogueServiceImpl({ ledger: ctx.ledger });
  return { name: 'catalogue', register: (router) => registerCatalogueRoutes(router, deps, service) };
};
