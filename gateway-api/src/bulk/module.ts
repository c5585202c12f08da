/** The bulk-download business module. */
import type { DomainModuleFactory } from '../domain';
import { createRecordStore } from '../provenance/record-store';
import { registerBulkRoutes } from './routes';
import { BulkService } from './service';
import { bulkStores } from './store';

/** Options of {@link createBulkModule}. */
export interface BulkModuleOptions {
  /** Subjects recorded per ledger transaction (tests use small chunks). */
  readonly chunkSize?: number;
}

/** Builds the bulk module factory. */
export function createBulkModule(options: Readonly<BulkModuleOptions> = {}): DomainModuleFactory {
  return function bulk(ctx, deps) {
    const service = new BulkService(ctx, {
      records: createRecordStore(deps),
      stores: bulkStores(deps),
      db: deps.db,
      ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
    });
    return { name: 'bulk', register: (router) => registerBulkRoutes(router, service) };
  };
}

/** The bulk module with the default chunk size. */
export const bulkModule: DomainModuleFactory = createBulkModule();
