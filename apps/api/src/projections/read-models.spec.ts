import { MemoryReadStore } from './memory-read-store.js';
import { describeReadModels } from './read-models.contract-spec.js';

describeReadModels('memory', () => new MemoryReadStore());
