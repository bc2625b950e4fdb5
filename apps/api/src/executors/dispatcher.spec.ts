import { afterEach, describe, expect, it } from '@jest/globals';
import type {
  CaseCommand,
  CaseData,
  CaseEvent,
  ExecutionRequest,
  ExecutionResult,
  Executor,
  JsonValue,
  ReadStreamOptions,
  RecordedEvent,
  WorkflowDefinition,
  Workitem,
} from '@wfnet/domain';
import { caseStreamId, foldCaseWithEnded, initialCaseState, normalizeWorkflow } from '@wfnet/domain';
import { fakeTiming } from '@wfnet/domain/testing';
import { Engine } from '../engine/engine.js';
import { MemoryEventStore } from '../event-store/memory-event-store.js';
import { MemorySnapshotStore } from '../event-store/snapshot-store.js';
import { MemoryReadStore } from '../projections/memory-read-store.js';
import { autoExecutor, manualExecutor } from './built-in.js';
import { Dispatcher } from './dispatcher.js';
import type { DispatcherOptions } from './dispatcher.js';
import { ExecutorRegistry } from './executor-registry.js';
import { MemoryWorkClaims } from './work-claims.js';
import type { WorkClaims } from './work-claims.js';
import { MemoryConsumerGroup } from './work-queue.js';
import type { WorkQueue } from './work-queue.js';

const AT = '2026-03-04T05:06:07.000Z';
/** `AT` plus `seconds`. */
const after = (seconds: number): string => new Date(Date.parse(AT) + seconds * 1000).toISOString();
const running: Dispatcher[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((dispatcher) => dispatcher.stop()));
});

// ---- fixtures ----

/** The memory store, noting each case stream a reader reads. */
class StreamReadsRecorded extends MemoryEventStore {
  readonly streamsRead: string[] = [];

  override readStream(streamId: string, options?: ReadStreamOptions): Promise<readonly RecordedEvent[]> {
    this.streamsRead.push(streamId);
    return super.readStream(streamId, options);
  }
}

/** `start → step → end`. */
function stepNet(executor: string): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'step',
    places: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    transitions: [{ id: 'step', executor, executorParams: { factor: 2 } }],
    arcs: [
      { from: 'start', to: 'step' },
      { from: 'step', to: 'end' },
    ],
  });
}

/** `start → first → middle → second → end`. */
function twoStepNet(first: string, second: string): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'two-steps',
    places: [{ id: 'start', type: 'start' }, { id: 'middle' }, { id: 'end', type: 'end' }],
    transitions: [
      { id: 'first', executor: first, executorParams: { factor: 2 } },
      { id: 'second', executor: second },
    ],
    arcs: [
      { from: 'start', to: 'first' },
      { from: 'first', to: 'middle' },
      { from: 'middle', to: 'second' },
      { from: 'second', to: 'end' },
    ],
  });
}

/** Deferred choice: `left` and `right` compete for the genesis token. */
function choiceNet(left: string, right: string): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'choice',
    places: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'left', executor: left },
      { id: 'right', executor: right },
    ],
    arcs: [
      { from: 'start', to: 'left' },
      { from: 'start', to: 'right' },
      { from: 'left', to: 'end' },
      { from: 'right', to: 'end' },
    ],
  });
}

function gate(): { readonly opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Polls until `condition` holds; fails with `what` after the deadline. */
async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A process: an engine and its dispatcher on `store`. `claims` are the process's on a table it shares with
 * others on the same store, whose writes its engine then expects.
 */
function setup(
  executors: Readonly<Record<string, Executor>>,
  options: DispatcherOptions & { readonly claims?: WorkClaims; readonly workQueue?: WorkQueue } = {},
  store = new MemoryEventStore(),
) {
  const registry = new ExecutorRegistry({ auto: autoExecutor, manual: manualExecutor, ...executors });
  const engine = new Engine(store, new MemorySnapshotStore(), registry, {
    snapshotEvery: 500,
    timing: fakeTiming(),
    sharedStore: options.claims !== undefined || options.workQueue !== undefined,
  });
  // The store of the followers' checkpoints.
  const checkpoints = new MemoryReadStore();
  const problems: string[] = [];

  const startDispatcher = async (): Promise<Dispatcher> => {
    const dispatcher = new Dispatcher({
      store,
      registry,
      checkpoints,
      loadCase: (caseId) => engine.loadCase(caseId),
      send: (command) => engine.executeCase(command),
      now: () => AT,
      log: { warn: (line) => problems.push(line), error: (line) => problems.push(line) },
      backoff: { initialMs: 2, maxMs: 10 },
      ...options,
    });
    running.push(dispatcher);
    await dispatcher.start();
    return dispatcher;
  };
  const stopDispatcher = async (dispatcher: Dispatcher): Promise<void> => {
    running.splice(running.indexOf(dispatcher), 1);
    await dispatcher.stop();
  };

  const command = (cmd: CaseCommand) => engine.executeCase(cmd);
  const createCase = (definition: WorkflowDefinition, caseId: string, data: JsonValue = {}) =>
    command({
      type: 'CreateCase',
      data: { caseId, workflow: { definition, state: 'active' }, data, at: AT },
    });
  /** The case with what has ended, which the tests look back on: its whole stream folded. */
  const caseOf = async (caseId: string): Promise<CaseData> => {
    const history = await store.readStream(caseStreamId(caseId));
    const state = foldCaseWithEnded(
      initialCaseState(),
      history.map(({ type, data }) => ({ type, data }) as CaseEvent),
    );
    if (state.status === 'none') throw new Error(`case ${caseId} does not exist`);
    return state;
  };
  const workitemsOf = async (caseId: string, transitionId?: string): Promise<Workitem[]> =>
    [...(await caseOf(caseId)).workitems.values()].filter(
      (w) => transitionId === undefined || w.transitionId === transitionId,
    );
  const onlyWorkitem = async (caseId: string, transitionId: string): Promise<Workitem> => {
    const [workitem, ...more] = await workitemsOf(caseId, transitionId);
    if (!workitem || more.length > 0) throw new Error(`expected one workitem of ${transitionId}`);
    return workitem;
  };
  const isFinished = async (caseId: string) => (await caseOf(caseId)).status === 'finished';
  const eventsOf = async <T = Record<string, unknown>>(caseId: string, type: string): Promise<T[]> =>
    (await store.readStream(caseStreamId(caseId))).filter((e) => e.type === type).map((e) => e.data as T);
  const failuresOf = (caseId: string) => eventsOf<FailedData>(caseId, 'WorkitemFailed');
  /** Fires the case's pending `retry` timer at its due time, as the timer scheduler would. */
  const fireRetry = async (caseId: string): Promise<string> => {
    const timer = [...(await caseOf(caseId)).timers.values()].find((t) => t.kind === 'retry');
    if (!timer) throw new Error(`case ${caseId} has no pending retry timer`);
    await command({ type: 'FireTimer', data: { caseId, timerId: timer.id, at: timer.dueAt } });
    return timer.dueAt;
  };

  return {
    store,
    engine,
    problems,
    startDispatcher,
    stopDispatcher,
    command,
    createCase,
    caseOf,
    workitemsOf,
    onlyWorkitem,
    isFinished,
    eventsOf,
    failuresOf,
    fireRetry,
  };
}

interface FailedData {
  readonly workitemId: string;
  readonly attempt: number;
  readonly error: { readonly type: string; readonly message: string; readonly retryable: boolean };
  readonly retryAt: string | null;
}

/** An executor that records its requests and answers with `answer`. */
function recording(
  answer: (request: ExecutionRequest, call: number) => Promise<ExecutionResult> | ExecutionResult,
) {
  const requests: ExecutionRequest[] = [];
  const executor: Executor = {
    execute: (request) => {
      requests.push(request);
      return answer(request, requests.length);
    },
  };
  return { executor, requests };
}

// ---- tests ----

describe('the dispatcher with in-process executors', () => {
  describe('an executor that answers at once', () => {
    it('is run once with the tokens and params, and its output lands in the payload of the token it issues', async () => {
      const double = recording(({ tokens, params }) => {
        const n = (tokens[0]?.payload as { n: number }).n;
        return { status: 'completed', output: { n: n * (params['factor'] as number) } };
      });
      const t = setup({ double: double.executor });
      await t.startDispatcher();

      await t.createCase(twoStepNet('double', 'manual'), 'c1', { n: 21 });

      await until('the second step waits', async () => (await t.workitemsOf('c1', 'second')).length === 1);
      const first = await t.onlyWorkitem('c1', 'first');
      expect(first).toMatchObject({ state: 'completed', output: { n: 42 } });
      const middle = [...(await t.caseOf('c1')).tokens.values()].filter((k) => k.placeId === 'middle');
      expect(middle.map((k) => [k.state, k.payload])).toEqual([['free', { [first.id]: { n: 42 } }]]);
      expect(double.requests).toHaveLength(1);
      expect(double.requests[0]).toMatchObject({
        caseId: 'c1',
        workitem: { id: first.id, state: 'created', executor: 'double' },
        tokens: [{ placeId: 'start', payload: { n: 21 } }],
        params: { factor: 2 },
      });
      expect(await t.onlyWorkitem('c1', 'second')).toMatchObject({ state: 'started', executor: 'manual' });
    });

    it('neither runs nor loads the case of a workitem its executor completed in the command that created it', async () => {
      const immediate = recording(() => ({ status: 'completed', output: 'late' }));
      const answersAtOnce: Executor = {
        ...immediate.executor,
        immediate: () => ({ status: 'completed', output: 'at once' }),
      };
      const store = new StreamReadsRecorded();
      const t = setup({ immediate: answersAtOnce }, {}, store);
      await t.createCase(twoStepNet('immediate', 'immediate'), 'c1');
      expect(await t.isFinished('c1')).toBe(true);
      store.streamsRead.length = 0;

      const dispatcher = await t.startDispatcher();

      const head = await store.headPosition();
      await until('the dispatcher passed the case', () => dispatcher.position === head);
      expect(immediate.requests).toEqual([]);
      expect(store.streamsRead).toEqual([]);
    });

    it('leaves the workitem started when the executor answers started, until it is completed through the engine', async () => {
      const later = recording(() => ({ status: 'started' }));
      const t = setup({ later: later.executor });
      await t.startDispatcher();

      await t.createCase(stepNet('later'), 'c1');
      await until(
        'the workitem is started',
        async () => (await t.onlyWorkitem('c1', 'step')).state === 'started',
      );
      expect((await t.caseOf('c1')).status).toBe('active');

      const { id } = await t.onlyWorkitem('c1', 'step');
      await t.command({
        type: 'CompleteWorkitem',
        data: { caseId: 'c1', workitemId: id, output: 'done', at: AT },
      });

      expect(await t.isFinished('c1')).toBe(true);
      expect(later.requests).toHaveLength(1);
    });

    it('abandons the task when the executor answers abandoned, and runs the new workitem of the re-offered token', async () => {
      const once = recording((_, call) =>
        call === 1 ? { status: 'abandoned' } : { status: 'completed', output: 'second try' },
      );
      const t = setup({ once: once.executor });
      await t.startDispatcher();

      await t.createCase(stepNet('once'), 'c1');
      await until('the case finishes', () => t.isFinished('c1'));

      const state = await t.caseOf('c1');
      expect([...state.workitems.values()].map((w) => [w.state, w.output])).toEqual([
        ['abandoned', null],
        ['completed', 'second try'],
      ]);
      expect([...state.tasks.values()].map((task) => [task.state, task.abandonReason])).toEqual([
        ['abandoned', 'workitems_abandoned'],
        ['completed', null],
      ]);
      expect(once.requests.map((r) => r.workitem.id)).toEqual([...state.workitems.keys()]);
    });
  });

  describe('an executor that fails', () => {
    it('is reported as a failed attempt of type error when it throws, settles, and runs again only when its retry timer fires', async () => {
      let failing = true;
      const flaky = recording((_, call) => {
        if (failing) throw new Error(`boom ${call}`);
        return { status: 'completed', output: 'finally' };
      });
      const t = setup({ flaky: flaky.executor });
      const dispatcher = await t.startDispatcher();

      await t.createCase(stepNet('flaky'), 'c1');
      await until('the attempt failed', async () => (await t.failuresOf('c1')).length === 1);
      const { id } = await t.onlyWorkitem('c1', 'step');

      expect(await t.failuresOf('c1')).toEqual([
        {
          caseId: 'c1',
          taskId: expect.any(String),
          workitemId: id,
          attempt: 1,
          error: { type: 'error', message: 'boom 1', retryable: true },
          // The default policy's first interval: one second.
          retryAt: after(1),
          at: AT,
        },
      ]);
      await until('the execution settles', () => dispatcher.backlog === 0);
      expect((await t.onlyWorkitem('c1', 'step')).state).toBe('created');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(flaky.requests).toHaveLength(1);

      failing = false;
      await t.fireRetry('c1');

      await until('the case finishes', () => t.isFinished('c1'));
      expect((await t.onlyWorkitem('c1', 'step')).output).toBe('finally');
      expect(flaky.requests).toHaveLength(2);
      expect(dispatcher.backlog).toBe(0);
    });

    it('reports a failed answer as it is: an error not retryable raises an executor_failed incident at once', async () => {
      const declined = recording(() => ({
        status: 'failed',
        error: { type: 'card_declined', message: 'no funds', retryable: false },
      }));
      const t = setup({ declined: declined.executor });
      const dispatcher = await t.startDispatcher();

      await t.createCase(stepNet('declined'), 'c1');
      await until(
        'an incident is raised',
        async () => (await t.eventsOf('c1', 'IncidentRaised')).length === 1,
      );

      expect(await t.failuresOf('c1')).toMatchObject([
        {
          attempt: 1,
          error: { type: 'card_declined', message: 'no funds', retryable: false },
          retryAt: null,
        },
      ]);
      expect(await t.eventsOf('c1', 'IncidentRaised')).toMatchObject([{ kind: 'executor_failed' }]);
      expect((await t.caseOf('c1')).timers.size).toBe(0);
      await until('the execution settles', () => dispatcher.backlog === 0);
      expect(declined.requests).toHaveLength(1);
    });

    it('reports a workitem whose executor is not registered as a failed attempt naming it', async () => {
      const t = setup({});
      await t.startDispatcher();

      await t.createCase(stepNet('nobody'), 'c1');
      await until('the attempt failed', async () => (await t.failuresOf('c1')).length === 1);

      expect((await t.failuresOf('c1'))[0]?.error).toEqual({
        type: 'error',
        message: 'no executor named nobody is registered',
        retryable: true,
      });
    });

    it('numbers the attempts, retrying as the policy says until they run out', async () => {
      const broken = recording(() => {
        throw new Error('down');
      });
      const t = setup({ broken: broken.executor });
      await t.startDispatcher();
      const plain = stepNet('broken');
      const net: WorkflowDefinition = {
        ...plain,
        transitions: plain.transitions.map((transition) => ({
          ...transition,
          retry: { initialInterval: 'PT10S', maximumAttempts: 3 },
        })),
      };
      await t.createCase(net, 'c1');
      for (let attempt = 1; attempt < 3; attempt++) {
        await until(`attempt ${attempt} failed`, async () => (await t.failuresOf('c1')).length === attempt);
        await t.fireRetry('c1');
      }
      await until('the last attempt failed', async () => (await t.failuresOf('c1')).length === 3);

      expect((await t.failuresOf('c1')).map(({ attempt, retryAt }) => [attempt, retryAt])).toEqual([
        // Each failure is reported at AT (the dispatcher's clock stands still): 10 s, then 10 s × 2.
        [1, after(10)],
        [2, after(20)],
        [3, null],
      ]);
      expect(broken.requests.map(({ attempt }) => attempt)).toEqual([1, 2, 3]);
    });
  });

  describe('a timer’s workitem', () => {
    it('is never run: it waits for its timer', async () => {
      const t = setup({});
      const dispatcher = await t.startDispatcher();
      const timerNet = normalizeWorkflow({
        ...stepNet('timer'),
        id: 'waits',
        transitions: [{ id: 'step', executor: 'timer', executorParams: { after: 'PT1H' } }],
      });
      await t.createCase(timerNet, 'waiting');
      await t.createCase(stepNet('auto'), 'after');

      await until('the later case finishes', () => t.isFinished('after'));
      expect(dispatcher.backlog).toBe(0);
      expect((await t.onlyWorkitem('waiting', 'step')).state).toBe('created');
      expect(await t.failuresOf('waiting')).toEqual([]);
      expect(t.problems).toEqual([]);
    });
  });

  describe('the abandon hook', () => {
    function hooked() {
      const abandoned: Workitem[] = [];
      const executor: Executor = {
        execute: () => ({ status: 'started' }),
        abandon: (workitem) => {
          abandoned.push(workitem);
        },
      };
      return { executor, abandoned };
    }

    it('runs with the workitem when the case is terminated', async () => {
      const { executor, abandoned } = hooked();
      const t = setup({ hooked: executor });
      await t.startDispatcher();
      await t.createCase(stepNet('hooked'), 'c1');
      await until(
        'the workitem is started',
        async () => (await t.onlyWorkitem('c1', 'step')).state === 'started',
      );

      await t.command({ type: 'TerminateCase', data: { caseId: 'c1', at: AT } });

      await until('the hook ran', () => abandoned.length > 0);
      const { id } = await t.onlyWorkitem('c1', 'step');
      expect(abandoned).toEqual([expect.objectContaining({ id, state: 'abandoned', executor: 'hooked' })]);
    });

    it('runs from the abandonment alone, without reading the case back from its stream', async () => {
      const { executor, abandoned } = hooked();
      const store = new StreamReadsRecorded();
      const t = setup({ hooked: executor }, {}, store);
      await t.startDispatcher();
      await t.createCase(stepNet('hooked'), 'c1');
      await until(
        'the workitem is started',
        async () => (await t.onlyWorkitem('c1', 'step')).state === 'started',
      );
      store.streamsRead.length = 0;

      await t.command({ type: 'TerminateCase', data: { caseId: 'c1', at: AT } });

      await until('the hook ran', () => abandoned.length > 0);
      expect(abandoned).toEqual([
        expect.objectContaining({ state: 'abandoned', executor: 'hooked', transitionId: 'step' }),
      ]);
      expect(store.streamsRead).toEqual([]);
    });

    it('runs for an abandonment recorded before it named the executor, from the case folded up to it', async () => {
      const { executor, abandoned } = hooked();
      const recorded = setup({});
      await recorded.createCase(stepNet('hooked'), 'c1');
      const { id } = await recorded.onlyWorkitem('c1', 'step');
      await recorded.command({ type: 'TerminateCase', data: { caseId: 'c1', at: AT } });
      // As an older engine recorded it: the abandonment without the workitem's transition and executor.
      const history = (await recorded.store.readStream(caseStreamId('c1'))).map(({ id, type, data }) => {
        if (type !== 'WorkitemUpdated') return { id, type, data: data as object };
        const {
          executor: _e,
          transitionId: _t,
          ...older
        } = data as { executor?: string; transitionId?: string };
        return { id, type, data: older };
      });
      const t = setup({ hooked: executor });
      await t.startDispatcher();

      await t.store.append(caseStreamId('c1'), history, 'no_stream');

      await until('the hook ran', () => abandoned.length > 0);
      expect(abandoned).toEqual([
        expect.objectContaining({ id, state: 'abandoned', executor: 'hooked', transitionId: 'step' }),
      ]);
    });

    it('runs with the competing workitem when its task is withdrawn, and not for the winner', async () => {
      const { executor, abandoned } = hooked();
      const t = setup({ hooked: executor });
      await t.startDispatcher();
      await t.createCase(choiceNet('hooked', 'manual'), 'c1');
      await until(
        'both workitems are started',
        async () => (await t.workitemsOf('c1')).filter((w) => w.state === 'started').length === 2,
      );

      const right = await t.onlyWorkitem('c1', 'right');
      await t.command({
        type: 'CompleteWorkitem',
        data: { caseId: 'c1', workitemId: right.id, output: 'right wins', at: AT },
      });

      await until('the hook ran', () => abandoned.length > 0);
      const left = await t.onlyWorkitem('c1', 'left');
      expect(abandoned.map((w) => [w.id, w.state])).toEqual([[left.id, 'abandoned']]);
      expect((await t.caseOf('c1')).tasks.get(left.taskId)?.abandonReason).toBe('tokens_withdrawn');
      expect(await t.isFinished('c1')).toBe(true);
    });
  });

  describe('an answer the engine cannot take yet', () => {
    it('is sent again while a competitor holds the tokens, without running the executor again', async () => {
      const release = gate();
      const gated = recording(async () => {
        await release.opened;
        return { status: 'completed', output: 'left wins' };
      });
      const t = setup({ gated: gated.executor });
      const dispatcher = await t.startDispatcher();
      await t.createCase(choiceNet('gated', 'manual'), 'c1');
      await until(
        'both executors ran',
        async () => gated.requests.length === 1 && (await t.onlyWorkitem('c1', 'right')).state === 'started',
      );
      const right = await t.onlyWorkitem('c1', 'right');
      const left = await t.onlyWorkitem('c1', 'left');
      await t.command({ type: 'PreexecuteTask', data: { caseId: 'c1', taskId: right.taskId, at: AT } });

      release.open();
      const refusals = () => t.problems.filter((line) => line.includes(left.id));
      await until('two deliveries were refused', () => refusals().length >= 2);
      expect(refusals()[0]).toMatch(/taken by another task/);
      expect(dispatcher.backlog).toBe(1);
      expect((await t.onlyWorkitem('c1', 'left')).state).toBe('created');
      expect(await t.failuresOf('c1')).toEqual([]);

      await t.command({ type: 'AbandonWorkitem', data: { caseId: 'c1', workitemId: right.id, at: AT } });

      await until('the case finishes', () => t.isFinished('c1'));
      expect((await t.onlyWorkitem('c1', 'left')).output).toBe('left wins');
      expect(gated.requests).toHaveLength(1);
    });
  });

  describe('the bound on concurrent executions', () => {
    it('runs at most `concurrency` executors at once and starts the others as slots free up', async () => {
      let now = 0;
      let most = 0;
      const gates: { open(): void }[] = [];
      const slow: Executor = {
        execute: async () => {
          now++;
          most = Math.max(most, now);
          const g = gate();
          gates.push(g);
          await g.opened;
          now--;
          return { status: 'completed', output: null };
        },
      };
      const t = setup({ slow }, { concurrency: 2 });
      const dispatcher = await t.startDispatcher();
      for (let i = 1; i <= 5; i++) await t.createCase(stepNet('slow'), `c${i}`);

      await until('two executions run', () => gates.length === 2);
      expect(dispatcher.backlog).toBe(2);
      for (let opened = 0; opened < 5; opened++) {
        gates[opened]!.open();
        const expected = Math.min(5, opened + 3);
        await until(`${expected} executions started`, () => gates.length === expected);
      }

      for (let i = 1; i <= 5; i++) await until(`case c${i} finishes`, () => t.isFinished(`c${i}`));
      expect(most).toBe(2);
    });
  });

  describe('failing work beside healthy work', () => {
    /** As many failing workitems as there are slots, each in a case of its own, each failed once. */
    async function failEverySlot(t: ReturnType<typeof setup>, executor: string, slots: number) {
      const failing = normalizeWorkflow({ ...stepNet(executor), id: 'failing' });
      for (let i = 1; i <= slots; i++) await t.createCase(failing, `failing-${i}`);
      await until('every failing workitem failed once', async () => {
        const failures = await Promise.all(
          Array.from({ length: slots }, (_, i) => t.failuresOf(`failing-${i + 1}`)),
        );
        return failures.every((list) => list.length === 1);
      });
    }

    it('runs a new workitem while the failing ones wait for their retry timers, holding no slot', async () => {
      const broken = recording(() => {
        throw new Error('connection refused');
      });
      const t = setup({ broken: broken.executor }, { concurrency: 4 });
      const dispatcher = await t.startDispatcher();
      await failEverySlot(t, 'broken', 4);

      await t.createCase(stepNet('auto'), 'healthy');

      await until('the healthy case finishes', () => t.isFinished('healthy'), 2000);
      expect(dispatcher.backlog).toBe(0);
      expect(broken.requests).toHaveLength(4);
    });

    it('runs a failed workitem after a restart only when its retry timer fires, not when it reads its creation again', async () => {
      const broken = recording(() => {
        throw new Error('connection refused');
      });
      const t = setup({ broken: broken.executor }, { concurrency: 4 });
      const first = await t.startDispatcher();
      await failEverySlot(t, 'broken', 4);
      await t.stopDispatcher(first);

      const second = await t.startDispatcher();
      await t.createCase(stepNet('auto'), 'healthy');
      await until('the healthy case finishes', () => t.isFinished('healthy'), 2000);
      expect(broken.requests).toHaveLength(4);

      await t.fireRetry('failing-1');

      await until(
        'the retried workitem failed again',
        async () => (await t.failuresOf('failing-1')).length === 2,
      );
      expect(broken.requests.map((r) => r.caseId)).toEqual([
        'failing-1',
        'failing-2',
        'failing-3',
        'failing-4',
        'failing-1',
      ]);
      expect((await t.failuresOf('failing-1'))[1]?.attempt).toBe(2);
      await until('the execution settles', () => second.backlog === 0);
    });

    it('takes ready work in turn per workflow, so a busy workflow’s retries do not queue ahead of another’s', async () => {
      let failingCalls = 0;
      const slowBroken: Executor = {
        execute: async () => {
          failingCalls++;
          await new Promise((resolve) => setTimeout(resolve, 20));
          throw new Error('timed out');
        },
      };
      const failingCallsAtHealthy: number[] = [];
      const secondTime: Executor = {
        execute: () => {
          failingCallsAtHealthy.push(failingCalls);
          if (failingCallsAtHealthy.length === 1) throw new Error('not yet');
          return { status: 'completed', output: null };
        },
      };
      const t = setup({ slowBroken, secondTime }, { concurrency: 1 });
      await t.startDispatcher();
      await failEverySlot(t, 'slowBroken', 8);
      await t.createCase(stepNet('secondTime'), 'healthy');
      await until('the healthy attempt failed', async () => (await t.failuresOf('healthy')).length === 1);

      for (let i = 1; i <= 8; i++) await t.fireRetry(`failing-${i}`);
      await t.fireRetry('healthy');

      await until('the healthy case finishes', () => t.isFinished('healthy'), 2000);
      const [first, second] = failingCallsAtHealthy;
      // Its retry waits for the failing workflow's turn, not for each of that workflow's eight retries.
      expect(first).toBe(8);
      expect(second! - first!).toBeLessThanOrEqual(2);
    });
  });

  describe('a restart', () => {
    it('runs the workitems created while no dispatcher ran, and not again those already settled', async () => {
      const counted = recording(({ caseId }) => ({ status: 'completed', output: caseId }));
      const t = setup({ counted: counted.executor });
      const first = await t.startDispatcher();
      await t.createCase(stepNet('counted'), 'before');
      await until('the first case finishes', () => t.isFinished('before'));
      await t.stopDispatcher(first);

      await t.createCase(stepNet('counted'), 'while-down');
      expect((await t.onlyWorkitem('while-down', 'step')).state).toBe('created');
      await t.startDispatcher();

      await until('the second case finishes', () => t.isFinished('while-down'));
      expect(counted.requests.map((r) => r.caseId)).toEqual(['before', 'while-down']);
    });

    it('leaves to the next start the workitems that waited for a slot when it stopped', async () => {
      const release = gate();
      const slow = recording(async ({ caseId }) => {
        await release.opened;
        return { status: 'completed', output: caseId };
      });
      const t = setup({ slow: slow.executor }, { concurrency: 1 });
      const first = await t.startDispatcher();
      await t.createCase(stepNet('slow'), 'a');
      await t.createCase(stepNet('slow'), 'b');
      await until('the first execution runs', () => slow.requests.length === 1);

      const stopped = t.stopDispatcher(first);
      release.open();
      await stopped;
      expect(await t.isFinished('a')).toBe(true);
      expect((await t.onlyWorkitem('b', 'step')).state).toBe('created');

      await t.startDispatcher();
      await until('the waiting case finishes', () => t.isFinished('b'));
      expect(slow.requests.map((r) => r.caseId)).toEqual(['a', 'b']);
    });
  });
});

/** A process's claims until it is cut off, as by a crash: from then on nothing it asks reaches the table. */
class Severable implements WorkClaims {
  severed = false;

  constructor(private readonly claims: WorkClaims) {}

  claim(key: string, leaseMs: number): Promise<boolean> {
    return this.severed ? Promise.reject(new Error('the process is gone')) : this.claims.claim(key, leaseMs);
  }

  release(key: string): Promise<void> {
    return this.severed ? Promise.reject(new Error('the process is gone')) : this.claims.release(key);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('the dispatchers of two processes on one store', () => {
  /** Executors held mid-run, let go after each test: a failed test still lets its dispatchers stop. */
  const held: { open(): void }[] = [];
  afterEach(() => {
    for (const executor of held.splice(0)) executor.open();
  });
  const heldGate = () => {
    const opening = gate();
    held.push(opening);
    return opening;
  };

  it('run each workitem exactly once in all, never both at once, and settle what the other ran as its answer is seen', async () => {
    const calls = new Map<string, number>();
    const under = new Map<string, number>();
    let overlaps = 0;
    const counted: Executor = {
      execute: async ({ workitem }) => {
        calls.set(workitem.id, (calls.get(workitem.id) ?? 0) + 1);
        under.set(workitem.id, (under.get(workitem.id) ?? 0) + 1);
        if (under.get(workitem.id)! > 1) overlaps++;
        await new Promise((resolve) => setTimeout(resolve, (calls.size % 4) * 3));
        under.set(workitem.id, under.get(workitem.id)! - 1);
        return { status: 'completed', output: workitem.id };
      },
    };
    const store = new MemoryEventStore();
    const table = new MemoryWorkClaims('a');
    // The default lease (30 s): a workitem the other process ran settles by its answer, not by a wait.
    const a = setup({ counted }, { claims: table }, store);
    const b = setup({ counted }, { claims: table.forProcess('b') }, store);
    const dispatchers = [await a.startDispatcher(), await b.startDispatcher()];
    const cases = Array.from({ length: 40 }, (_, i) => `c${i}`);

    for (const caseId of cases) await a.createCase(stepNet('counted'), caseId);

    for (const caseId of cases) await until(`case ${caseId} finishes`, () => a.isFinished(caseId));
    expect(calls.size).toBe(cases.length);
    expect([...calls.values()].filter((n) => n !== 1)).toEqual([]);
    expect(overlaps).toBe(0);
    await until('both backlogs are empty', () => dispatchers.every((d) => d.backlog === 0), 2000);
    expect([...a.problems, ...b.problems]).toEqual([]);
  });

  it('has the other process run a workitem whose process died while running it, once its lease has run out', async () => {
    const hung = heldGate();
    const dying = recording(async () => {
      await hung.opened;
      return { status: 'completed', output: 'too late' };
    });
    const surviving = recording(() => ({ status: 'completed', output: 'taken over' }));
    const store = new MemoryEventStore();
    const table = new MemoryWorkClaims('a');
    const aClaims = new Severable(table);
    const a = setup({ work: dying.executor }, { claims: aClaims, claimLeaseMs: 150 }, store);
    const b = setup(
      { work: surviving.executor },
      { claims: table.forProcess('b'), claimLeaseMs: 150 },
      store,
    );
    await a.startDispatcher();
    await a.createCase(stepNet('work'), 'c1');
    await until('the first process runs the workitem', () => dying.requests.length === 1);
    const { id } = await a.onlyWorkitem('c1', 'step');
    await b.startDispatcher();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(table.holderOf(`workitem:${id}`)).toBe('a');
    expect(surviving.requests).toEqual([]);

    aClaims.severed = true;

    await until('the case finishes', () => b.isFinished('c1'), 3000);
    expect(surviving.requests.map((r) => r.workitem.id)).toEqual([id]);
    expect((await b.onlyWorkitem('c1', 'step')).output).toBe('taken over');
    expect(b.problems).toEqual([]);
    expect(a.problems.some((line) => line.includes(`claim on workitem ${id} was not renewed`))).toBe(true);
  });

  it('keeps back the answer of an execution whose claim passed to another process, and leaves the workitem to that one', async () => {
    const [aGate, bGate] = [heldGate(), heldGate()];
    const first = recording(async () => {
      await aGate.opened;
      return { status: 'completed', output: 'from a' };
    });
    const second = recording(async () => {
      await bGate.opened;
      return { status: 'completed', output: 'from b' };
    });
    const store = new MemoryEventStore();
    const table = new MemoryWorkClaims('a');
    const aClaims = new Severable(table);
    const a = setup({ work: first.executor }, { claims: aClaims, claimLeaseMs: 150 }, store);
    const b = setup({ work: second.executor }, { claims: table.forProcess('b'), claimLeaseMs: 150 }, store);
    const aDispatcher = await a.startDispatcher();
    await a.createCase(stepNet('work'), 'c1');
    await until('the first process runs the workitem', () => first.requests.length === 1);
    const { id } = await a.onlyWorkitem('c1', 'step');
    await b.startDispatcher();
    // Cut off long enough for its lease to run out and the other process to take the workitem over.
    aClaims.severed = true;
    await until('the second process runs the workitem', () => second.requests.length === 1, 3000);
    aClaims.severed = false;
    await until('the first process learns its claim passed', () =>
      a.problems.some((line) => line.includes(`claim on workitem ${id} passed to another process`)),
    );

    aGate.open();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await a.onlyWorkitem('c1', 'step')).state).toBe('created');

    bGate.open();
    await until('the case finishes', () => a.isFinished('c1'));
    expect((await a.onlyWorkitem('c1', 'step')).output).toBe('from b');
    await until('the first process settles the workitem', () => aDispatcher.backlog === 0, 1000);
    expect(first.requests).toHaveLength(1);
    expect(b.problems).toEqual([]);
  });
});

describe('the dispatchers of two processes sharing one consumer group', () => {
  const held: { open(): void }[] = [];
  const groups: MemoryConsumerGroup[] = [];
  afterEach(async () => {
    for (const executor of held.splice(0)) executor.open();
    await Promise.all(groups.splice(0).map((group) => group.close()));
  });
  const heldGate = () => {
    const opening = gate();
    held.push(opening);
    return opening;
  };
  const consumerGroup = (store: MemoryEventStore, messageTimeoutMs: number) => {
    const group = new MemoryConsumerGroup(store, { messageTimeoutMs });
    groups.push(group);
    return group;
  };
  /** An executor that counts its runs per workitem, and how many overlapped. */
  const counting = (calls: Map<string, number>, process: string, ran: Map<string, string[]>) => {
    const executor: Executor = {
      execute: async ({ workitem }) => {
        calls.set(workitem.id, (calls.get(workitem.id) ?? 0) + 1);
        ran.set(workitem.id, [...(ran.get(workitem.id) ?? []), process]);
        await new Promise((resolve) => setTimeout(resolve, calls.size % 3));
        return { status: 'completed', output: process };
      },
    };
    return executor;
  };

  it('run each workitem once in all, each process taking a share', async () => {
    const calls = new Map<string, number>();
    const ran = new Map<string, string[]>();
    const store = new MemoryEventStore();
    const group = consumerGroup(store, 30_000);
    const a = setup({ work: counting(calls, 'a', ran) }, { workQueue: group.member('a') }, store);
    const b = setup({ work: counting(calls, 'b', ran) }, { workQueue: group.member('b') }, store);
    const dispatchers = [await a.startDispatcher(), await b.startDispatcher()];
    const cases = Array.from({ length: 40 }, (_, i) => `c${i}`);

    for (const caseId of cases) await a.createCase(stepNet('work'), caseId);

    for (const caseId of cases) await until(`case ${caseId} finishes`, () => a.isFinished(caseId));
    expect(calls.size).toBe(cases.length);
    expect([...calls.values()].filter((n) => n !== 1)).toEqual([]);
    const byProcess = [...ran.values()].flat();
    expect(byProcess.filter((p) => p === 'a').length).toBeGreaterThan(0);
    expect(byProcess.filter((p) => p === 'b').length).toBeGreaterThan(0);
    await until('every delivery is acked', () => group.unacked === 0, 2000);
    expect(dispatchers.every((d) => d.backlog === 0)).toBe(true);
    expect([...a.problems, ...b.problems]).toEqual([]);
  });

  it('hand the workitems of a process cut off mid-execution to the other, which finishes every case', async () => {
    const hung = heldGate();
    const calls = new Map<string, number>();
    const ran = new Map<string, string[]>();
    const dying: Executor = {
      execute: async ({ workitem }) => {
        ran.set(workitem.id, [...(ran.get(workitem.id) ?? []), 'a']);
        await hung.opened;
        return { status: 'completed', output: 'too late' };
      },
    };
    const store = new MemoryEventStore();
    // A timeout far beyond the test: the work passes on because the connection drops, not by a timeout.
    const group = consumerGroup(store, 60_000);
    const aQueue = group.member('a');
    const a = setup({ work: dying }, { workQueue: aQueue }, store);
    const b = setup({ work: counting(calls, 'b', ran) }, { workQueue: group.member('b') }, store);
    await a.startDispatcher();
    await b.startDispatcher();
    const cases = Array.from({ length: 40 }, (_, i) => `c${i}`);
    for (const caseId of cases) await a.createCase(stepNet('work'), caseId);
    await until('the first process runs its share', () => [...ran.values()].flat().includes('a'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const hungInA = [...ran].filter(([, processes]) => processes.includes('a')).map(([id]) => id);
    expect(hungInA.length).toBeGreaterThan(0);

    // Killed: it neither acks nor gives anything back; its connection to the group drops.
    await aQueue.leave();

    for (const caseId of cases) await until(`case ${caseId} finishes`, () => b.isFinished(caseId), 5000);
    for (const id of hungInA) expect(ran.get(id)).toEqual(['a', 'b']);
    expect([...calls.values()].filter((n) => n !== 1)).toEqual([]);
    for (const caseId of cases) expect((await b.onlyWorkitem(caseId, 'step')).output).toBe('b');
    expect(b.problems.some((line) => line.includes('handed to this process again'))).toBe(true);
  });

  it('hand a workitem its process has not settled within the message timeout to the other, whose answer is taken', async () => {
    const slow = heldGate();
    const first = recording(async () => {
      await slow.opened;
      return { status: 'completed', output: 'from a' };
    });
    const second = recording(() => ({ status: 'completed', output: 'from b' }));
    const store = new MemoryEventStore();
    const group = consumerGroup(store, 150);
    const a = setup({ work: first.executor }, { workQueue: group.member('a') }, store);
    const b = setup({ work: second.executor }, { workQueue: group.member('b') }, store);
    await a.startDispatcher();
    await a.createCase(stepNet('work'), 'c1');
    await until('the first process runs the workitem', () => first.requests.length === 1);
    await b.startDispatcher();

    await until('the case finishes', () => b.isFinished('c1'), 3000);
    expect((await b.onlyWorkitem('c1', 'step')).output).toBe('from b');
    expect(second.requests).toHaveLength(1);

    slow.open();
    await until('every delivery is acked', () => group.unacked === 0, 2000);
    expect(first.requests).toHaveLength(1);
    expect((await a.onlyWorkitem('c1', 'step')).output).toBe('from b');
  });

  it('run a failed workitem again, in one of them, only when its retry timer fires', async () => {
    let failing = true;
    const flaky = recording((_, call) => {
      if (failing) throw new Error(`boom ${call}`);
      return { status: 'completed', output: 'finally' };
    });
    const store = new MemoryEventStore();
    const group = consumerGroup(store, 30_000);
    const a = setup({ flaky: flaky.executor }, { workQueue: group.member('a') }, store);
    const b = setup({ flaky: flaky.executor }, { workQueue: group.member('b') }, store);
    await a.startDispatcher();
    await b.startDispatcher();

    await a.createCase(stepNet('flaky'), 'c1');
    await until('the attempt failed', async () => (await a.failuresOf('c1')).length === 1);
    await until('the creation is acked', () => group.unacked === 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(flaky.requests).toHaveLength(1);
    expect((await a.onlyWorkitem('c1', 'step')).state).toBe('created');

    failing = false;
    await a.fireRetry('c1');

    await until('the case finishes', () => a.isFinished('c1'));
    expect(flaky.requests).toHaveLength(2);
    expect((await a.onlyWorkitem('c1', 'step')).output).toBe('finally');
    await until('every delivery is acked', () => group.unacked === 0, 2000);
    expect(group.parked).toEqual([]);
    expect([...a.problems, ...b.problems]).toEqual([]);
  });

  it('give back at a graceful stop what the stopping process has not run, which the other takes at once', async () => {
    const slow = heldGate();
    const ran = new Map<string, string[]>();
    const stopping: Executor = {
      execute: async ({ workitem }) => {
        ran.set(workitem.id, [...(ran.get(workitem.id) ?? []), 'a']);
        await slow.opened;
        return { status: 'completed', output: 'a' };
      },
    };
    const calls = new Map<string, number>();
    const store = new MemoryEventStore();
    const group = consumerGroup(store, 60_000);
    // One slot: the first workitem runs, the others wait in the process for room.
    const a = setup({ work: stopping }, { workQueue: group.member('a'), concurrency: 1 }, store);
    const b = setup({ work: counting(calls, 'b', ran) }, { workQueue: group.member('b') }, store);
    const aDispatcher = await a.startDispatcher();
    const cases = Array.from({ length: 6 }, (_, i) => `c${i}`);
    for (const caseId of cases) await a.createCase(stepNet('work'), caseId);
    await until('the first process runs one workitem', () => ran.size === 1);
    await b.startDispatcher();
    const started = Date.now();

    const stopped = a.stopDispatcher(aDispatcher);

    for (const caseId of cases.slice(1)) await until(`case ${caseId} finishes`, () => b.isFinished(caseId));
    expect(Date.now() - started).toBeLessThan(2000);
    expect([...ran.values()].filter((processes) => processes.includes('b'))).toHaveLength(5);
    slow.open();
    await stopped;
    await until('the case run by the stopping process finishes', () => b.isFinished('c0'));
    expect([...ran.values()].every((processes) => processes.length === 1)).toBe(true);
    await until('every delivery is acked', () => group.unacked === 0, 2000);
    expect(a.problems).toEqual([]);
  });
});
