/** The disputes business module. */
import type { DomainModuleFactory } from '../domain';
import { DISPUTE_NOTES_STORE, DisputeNoteStoreImpl, StoredNoteSchema } from './notes';
import { registerDisputeRoutes } from './routes';
import { DisputeServiceImpl } from './service';

/** Disputes: filing, resolution, listing and reading, with notes sealed off-chain. */
export const disputesModule: DomainModuleFactory = function disputes(ctx, deps) {
  const service = new DisputeServiceImpl({
    ledger: ctx.ledger,
    subjects: ctx.subjects,
    notes: new DisputeNoteStoreImpl(deps.sealedStore(DISPUTE_NOTES_STORE, StoredNoteSchema)),
  });
  return { name: 'disputes', register: (router) => registerDisputeRoutes(router, deps, service) };
};
