/**
 * Collateral routes: parse, validate, call the {@link CollateralService}.
 * Asset IDs contain ':' (`LAND_CONTRACT_RIGHT:LC-001`); they are accepted in
 * paths as they are or URL-encoded (`%3A`).
 */
import { z } from 'zod';
import type { Role } from '../auth/roles';
import type { GatewayDeps } from '../feature';
import { pageSchema } from '../http/pagination';
import type { ApiRouter } from '../http/router';
import {
  AssetBatchChangeSchema,
  AssetChangeSchema,
  AssetDetailSchema,
  LienChangeSchema,
  LienRecordSchema,
  LienSchema,
  ObjectIdParamsSchema,
  RegisterAssetBatchSchema,
  RegisterAssetSchema,
  RegisterLienSchema,
  SeizureRequestSchema,
  TransferRequestSchema,
} from './schemas';
import type { CollateralService } from './service';

const TAGS = ['collateral'];
const ISSUER: readonly [Role, ...Role[]] = ['DATA_OFFICER'];
const BANK: readonly [Role, ...Role[]] = ['LOAN_OFFICER'];
const AUTHORITY: readonly [Role, ...Role[]] = ['DATA_OFFICER', 'REGULATOR_ADMIN'];

const COMMON = {
  400: { description: 'INVALID_REQUEST (malformed), INVALID_SUBJECT_ID, or INVALID (refused by the ledger)' },
  403: { description: 'FORBIDDEN_ROLE, or FORBIDDEN (the ledger refused this organisation)' },
};

/** Declares the collateral routes on `router`. */
export function registerCollateralRoutes(
  router: ApiRouter,
  deps: GatewayDeps,
  service: CollateralService,
): void {
  const assetLocation = (assetId: string): string =>
    `${router.basePath}/assets/${encodeURIComponent(assetId)}`;

  router.route({
    method: 'post',
    path: '/assets',
    summary: 'Register a rural right issued by the caller’s organisation',
    tags: TAGS,
    auth: ISSUER,
    body: RegisterAssetSchema,
    responses: {
      201: { description: 'Registered', schema: AssetChangeSchema },
      ...COMMON,
      404: { description: 'NOT_FOUND: unknown asset type or provenance batch' },
      409: { description: 'CONFLICT: already registered' },
    },
    async handler({ body, principal }) {
      const change = await service.registerAsset(principal, body);
      return { status: 201, body: change, headers: { Location: assetLocation(change.asset.assetId) } };
    },
  });

  router.route({
    method: 'post',
    path: '/assets/batch',
    summary:
      'Register up to 500 rights issued by the caller’s organisation in one transaction (a registry loading its ' +
      'certificates): each checked as POST /assets checks one, all or none; safe to retry whole',
    tags: TAGS,
    auth: ISSUER,
    body: RegisterAssetBatchSchema,
    responses: {
      201: {
        description: 'Committed: the rights registered, and those already registered identically (a retry)',
        schema: AssetBatchChangeSchema,
      },
      ...COMMON,
      404: { description: 'NOT_FOUND: unknown asset type or provenance batch (the message names the row)' },
      409: {
        description: 'CONFLICT: an asset ID already registered with another registration (names the row)',
      },
    },
    async handler({ body, principal }) {
      return { status: 201, body: await service.registerAssets(principal, body) };
    },
  });

  router.route({
    method: 'get',
    path: '/assets/{id}',
    summary:
      'Read an asset: status, liens, seizure, term, provenance, history and proof; the issuer and the regulator ' +
      "see all, a bank its own liens' amounts (others as a count and a total) and the owner, location and " +
      'appraisal only under an active consent covering COLLATERAL',
    tags: TAGS,
    auth: 'authenticated',
    params: ObjectIdParamsSchema,
    responses: {
      200: { description: 'The asset', schema: AssetDetailSchema },
      400: { description: 'INVALID_REQUEST: malformed asset ID' },
      404: { description: 'NOT_FOUND: not registered' },
    },
    async handler({ params, principal }) {
      return { body: await service.getAsset(principal, params.id) };
    },
  });

  router.route({
    method: 'post',
    path: '/liens',
    summary: 'Register a lien for the caller’s bank under the owner’s collateral consent',
    tags: TAGS,
    auth: BANK,
    body: RegisterLienSchema,
    responses: {
      201: { description: 'Registered', schema: LienChangeSchema },
      ...COMMON,
      404: { description: 'NOT_FOUND: unknown asset' },
      409: {
        description:
          'CONFLICT: asset seized or under enforcement, exclusively pledged, over its cap, or lien ID taken',
      },
    },
    async handler({ body, principal }) {
      const change = await service.registerLien(principal, body);
      return {
        status: 201,
        body: change,
        headers: { Location: `${router.basePath}/liens/${encodeURIComponent(change.lien.lienId)}` },
      };
    },
  });

  router.route({
    method: 'get',
    path: '/liens/{id}',
    summary:
      'Read a lien: whole for its mortgagee, the asset’s issuer and the regulator; its public part (公示: asset, ' +
      'rank, status) for any other member',
    tags: TAGS,
    auth: 'authenticated',
    params: ObjectIdParamsSchema,
    responses: {
      200: { description: 'The lien', schema: LienRecordSchema },
      400: { description: 'INVALID_REQUEST: malformed lien ID' },
      403: { description: 'MEMBER_SUSPENDED' },
      404: { description: 'NOT_FOUND: unknown lien' },
    },
    async handler({ params, principal }) {
      return { body: await service.getLien(principal, params.id) };
    },
  });

  router.route({
    method: 'get',
    path: '/liens',
    summary: 'List liens: a bank its own, the regulator and auditors every institution’s, by lien ID',
    tags: TAGS,
    auth: 'authenticated',
    query: z.object(deps.pageQuery).strict(),
    responses: {
      200: { description: 'A page of liens', schema: pageSchema(LienSchema) },
      400: { description: 'INVALID_REQUEST, PAGE_SIZE_TOO_LARGE or INVALID_CURSOR' },
      403: { description: 'FORBIDDEN (a data provider: no lien list), or MEMBER_SUSPENDED' },
    },
    async handler({ query, principal }) {
      return { body: await service.listLiens(principal, { limit: query.limit, cursor: query.cursor }) };
    },
  });

  router.route({
    method: 'post',
    path: '/liens/{id}/release',
    summary: 'Release (注销) a lien of the caller’s bank',
    tags: TAGS,
    auth: BANK,
    params: ObjectIdParamsSchema,
    responses: {
      200: { description: 'Released', schema: LienChangeSchema },
      ...COMMON,
      404: { description: 'NOT_FOUND: unknown lien' },
      409: { description: 'CONFLICT: the lien is not active' },
    },
    async handler({ params, principal }) {
      return { body: await service.releaseLien(principal, params.id) };
    },
  });

  router.route({
    method: 'post',
    path: '/liens/{id}/enforce',
    summary: 'Start enforcement (处置) of a lien of the caller’s bank',
    tags: TAGS,
    auth: BANK,
    params: ObjectIdParamsSchema,
    responses: {
      200: { description: 'Enforcement started; the asset', schema: AssetChangeSchema },
      ...COMMON,
      404: { description: 'NOT_FOUND: unknown lien' },
      409: { description: 'CONFLICT: the lien is not active or the asset is not active' },
    },
    async handler({ params, principal }) {
      return { body: await service.enforceLien(principal, params.id) };
    },
  });

  router.route({
    method: 'post',
    path: '/assets/{id}/seizure',
    summary: 'Seize (查封) an asset, as its issuer or the regulator',
    tags: TAGS,
    auth: AUTHORITY,
    params: ObjectIdParamsSchema,
    body: SeizureRequestSchema,
    responses: {
      200: { description: 'Seized', schema: AssetChangeSchema },
      ...COMMON,
      404: { description: 'NOT_FOUND: not registered' },
      409: { description: 'CONFLICT: already seized' },
    },
    async handler({ params, body, principal }) {
      return { body: await service.seize(principal, params.id, body.orderRef) };
    },
  });

  router.route({
    method: 'delete',
    path: '/assets/{id}/seizure',
    summary: 'Lift an asset’s seizure, as its issuer or the regulator',
    tags: TAGS,
    auth: AUTHORITY,
    params: ObjectIdParamsSchema,
    responses: {
      200: { description: 'Lifted', schema: AssetChangeSchema },
      ...COMMON,
      404: { description: 'NOT_FOUND: not registered' },
      409: { description: 'CONFLICT: not seized' },
    },
    async handler({ params, principal }) {
      return { body: await service.liftSeizure(principal, params.id) };
    },
  });

  router.route({
    method: 'post',
    path: '/assets/{id}/transfer',
    summary: 'Transfer (流转) an asset to a new owner, as its issuer',
    tags: TAGS,
    auth: ISSUER,
    params: ObjectIdParamsSchema,
    body: TransferRequestSchema,
    responses: {
      200: { description: 'Transferred', schema: AssetChangeSchema },
      ...COMMON,
      404: { description: 'NOT_FOUND: not registered' },
      409: { description: 'CONFLICT: seized, or active with liens' },
    },
    async handler({ params, body, principal }) {
      return { body: await service.transfer(principal, params.id, body.newOwnerSubjectId) };
    },
  });
}
