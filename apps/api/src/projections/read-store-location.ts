import { MemoryReadStore } from './memory-read-store.js';
import type { ReadStore } from './read-store.js';
import { SqliteReadStore } from './sqlite-read-store.js';

/**
 * Opens the read store a location names: `memory`, or `sqlite:<file>` (which may be the embedded event
 * store's own file). The location comes from the configuration (`WFNET_READ_STORE`, by default beside
 * the event store).
 */
export function openReadStore(location: string): ReadStore {
  if (location === 'memory') return new MemoryReadStore();
  if (location.startsWith('sqlite:') && location.length > 'sqlite:'.length) {
    return SqliteReadStore.open(location.slice('sqlite:'.length));
  }
  throw new Error(`a read store is "memory" or "sqlite:<file>", not "${location}"`);
}
