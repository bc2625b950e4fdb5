import { MemoryReadStore } from './memory-read-store.js';
import { describeReadModels } from './read-models.contract-spec.js';
import { describeWorkitemPeople } from './workitem-people.contract-spec.js';

describeReadModels('memory', () => new MemoryReadStore());
describeWorkitemPeople('memory', () => new MemoryReadStore());
