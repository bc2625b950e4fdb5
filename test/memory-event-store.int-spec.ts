import { describe } from '@jest/globals';
import { MemoryEventStore } from '../apps/api/src/event-store/memory-event-store.js';
import { eventStoreContract } from './event-store.contract.js';

describe('MemoryEventStore', () => {
  eventStoreContract({
    open: () => Promise.resolve(new MemoryEventStore()),
    openAtPosition: (firstPosition) => Promise.resolve(new MemoryEventStore({ firstPosition })),
  });
});
