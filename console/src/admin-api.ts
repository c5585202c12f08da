/**
 * The administration and read paths the console needs that the SDK does not
 * have yet (members, catalogue, liens by ID and by bank, batches by period,
 * provider freshness, every organisation's users). One typed method per path,
 * over the SDK's own transport and token source, so that each call moves to
 * the SDK by replacing `admin.x(...)` with `client.x(...)` once it gains them.
 */
import { HttpTransportImpl, type Page, type TokenSource } from '@ruralcredit/client-sdk';

export interface Member {
  readonly mspId: string;
  readonly name: string;
  readonly role: string;
  readonly status: string;
  readonly [more: string]: unknown;
}

export interface AdmitMemberRequest {
  readonly mspId: string;
  readonly name: string;
  readonly role: string;
  readonly reason: string;
}

export interface CatalogueEntry {
  readonly code: string;
  readonly name?: string;
  readonly version?: number;
  readonly [more: string]: unknown;
}

export interface Lien {
  readonly lienId: string;
  readonly assetId: string;
  readonly mortgagee: string;
  readonly securedAmountFen: number;
  readonly status: string;
  readonly [more: string]: unknown;
}

export interface OrganisationUser {
  readonly id: string;
  readonly orgMspId: string;
  readonly username: string;
  readonly roles: readonly string[];
  readonly disabled: boolean;
  readonly lastLoginAt?: string | null;
  readonly [more: string]: unknown;
}

export type CatalogueKind = 'dataset-types' | 'asset-types';

export interface AdminApi {
  members(): Promise<Page<Member>>;
  admitMember(request: AdmitMemberRequest): Promise<Member>;
  suspendMember(mspId: string, reason: string): Promise<Member>;
  reinstateMember(mspId: string, reason: string): Promise<Member>;
  catalogue(kind: CatalogueKind): Promise<Page<CatalogueEntry>>;
  defineEntry(kind: CatalogueKind, entry: CatalogueEntry): Promise<CatalogueEntry>;
  updateEntry(
    kind: CatalogueKind,
    code: string,
    entry: Readonly<Record<string, unknown>>,
  ): Promise<CatalogueEntry>;
  lien(lienId: string): Promise<Lien>;
  liens(): Promise<Page<Lien>>;
  batches(query: {
    datasetType?: string;
    from?: string;
    to?: string;
  }): Promise<Page<Record<string, unknown>>>;
  freshness(mspId: string): Promise<Record<string, unknown>>;
  allUsers(): Promise<Page<OrganisationUser>>;
}

const id = (value: string): string => encodeURIComponent(value);

/** The {@link AdminApi} over the SDK's HTTP transport (same errors: GatewayError). */
export function createAdminApi(options: { readonly url: string; readonly tokens: TokenSource }): AdminApi {
  const http = new HttpTransportImpl({ baseUrl: options.url, tokens: options.tokens });
  const get = <T>(path: string, query?: Record<string, string | undefined>): Promise<T> =>
    http.json<T>({ method: 'GET', path, ...(query === undefined ? {} : { query }) });
  const post = <T>(path: string, json: unknown): Promise<T> => http.json<T>({ method: 'POST', path, json });
  return {
    members: () => get('/members'),
    admitMember: (request) => post('/members', request),
    suspendMember: (mspId, reason) => post(`/members/${id(mspId)}/suspension`, { reason }),
    reinstateMember: (mspId, reason) => post(`/members/${id(mspId)}/reinstatement`, { reason }),
    catalogue: (kind) => get(`/catalogue/${kind}`),
    defineEntry: (kind, entry) => post(`/catalogue/${kind}`, entry),
    updateEntry: (kind, code, entry) =>
      http.json({ method: 'PUT', path: `/catalogue/${kind}/${id(code)}`, json: entry }),
    lien: (lienId) => get(`/liens/${id(lienId)}`),
    liens: () => get('/liens'),
    batches: (query) => get('/batches', query),
    freshness: (mspId) => get(`/providers/${id(mspId)}/freshness`),
    allUsers: () => get('/admin/users'),
  };
}
