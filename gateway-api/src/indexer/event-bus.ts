/** The in-process event bus the indexer publishes stored events on. */
import type { Logger } from '../http/logger';
import type { EventBus, IndexedEvent } from './types';

/** An {@link EventBus} that the indexer can publish on. */
export interface PublishingEventBus extends EventBus {
  /** Delivers `event` to every current subscriber; a throwing subscriber is logged and skipped. */
  publish(event: IndexedEvent): void;
}

/** Options of {@link EventBusImpl}. */
export interface EventBusOptions {
  /** Where failing subscribers are reported. */
  readonly logger: Logger;
}

/** Synchronous fan-out to in-process subscribers. */
export class EventBusImpl implements PublishingEventBus {
  readonly #listeners = new Set<(event: IndexedEvent) => void>();
  readonly #logger: Logger;

  /** @param options the logger for failing subscribers. */
  constructor(options: Readonly<EventBusOptions>) {
    this.#logger = options.logger;
  }

  subscribe(listener: (event: IndexedEvent) => void): () => void {
    // A wrapper per subscription, so the same function may subscribe twice.
    const entry = (event: IndexedEvent): void => listener(event);
    this.#listeners.add(entry);
    return () => void this.#listeners.delete(entry);
  }

  publish(event: IndexedEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.#logger.error('event subscriber failed', {
          event: event.name,
          txId: event.txId,
          err: (err as Error).message,
        });
      }
    }
  }
}
