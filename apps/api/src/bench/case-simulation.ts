import { v7 } from 'uuid';
import type {
  CaseCommand,
  CaseData,
  CaseEvent,
  CaseState,
  Event,
  EventStore,
  Transition,
  WorkflowDefinition,
} from '@wfnet/domain';
import {
  caseStreamId,
  decideCase,
  exampleNets,
  foldCase,
  initialCaseState,
  normalizeWorkflow,
} from '@wfnet/domain';
import { seededRandom } from '../soak/seeded-random.js';

// Plausible event histories for the read side's tests and benchmark: many cases of a few nets, run by
// the real case decider with random (seeded) worker choices, their commands interleaved as concurrent
// users would interleave them. Every append is what a command handler would append.

export interface SimulatedAppend {
  readonly streamId: string;
  readonly events: readonly Event[];
}

export interface SimulationOptions {
  readonly seed?: number;
  /** Cases started in all. */
  readonly cases: number;
  /** Cases running at once, whose commands interleave. */
  readonly concurrency?: number;
  /** Share of cases left running at the end instead of run to their end. */
  readonly leaveOpen?: number;
}

/** A loop left by a deferred choice: the traffic light of examples/. */
export const trafficLightNet: WorkflowDefinition = exampleNets.trafficLightNet();

/** `net` with some of its transitions run by other executors. */
function runBy(
  net: WorkflowDefinition,
  executors: Readonly<
    Record<string, Pick<Transition, 'executor'> & Partial<Pick<Transition, 'executorParams'>>>
  >,
): WorkflowDefinition {
  return {
    ...net,
    transitions: net.transitions.map((transition) => ({ ...transition, ...executors[transition.id] })),
  };
}

/** The example nets, with a person, a webhook and automatic steps side by side. */
export function simulationNets(): WorkflowDefinition[] {
  return [
    runBy(exampleNets.sequentialNet(), { b: { executor: 'manual' } }),
    runBy(exampleNets.approvalNet(), {
      reject: { executor: 'webhook', executorParams: { url: 'http://127.0.0.1:9/reject' } },
    }),
    runBy(exampleNets.parallelNet(), { 'work-left': { executor: 'manual' } }),
    trafficLightNet,
  ];
}

interface Choice {
  readonly weight: number;
  readonly command: CaseCommand;
}

/** What a worker or an executor might do next in a case, with how likely each is. */
function choices(state: CaseData, at: string, rnd: () => number): Choice[] {
  const caseId = state.caseId;
  const list: Choice[] = [];
  const executorOf = (transitionId: string): string =>
    state.definition.transitions.find((t) => t.id === transitionId)?.executor ?? 'manual';
  for (const workitem of state.workitems.values()) {
    const { id: workitemId } = workitem;
    if (workitem.state === 'created') {
      if (executorOf(workitem.transitionId) === 'auto') {
        list.push({
          weight: 10,
          command: { type: 'CompleteWorkitem', data: { caseId, workitemId, output: 'done', at } },
        });
        continue;
      }
      list.push({
        weight: 4,
        command: { type: 'UpdateWorkitem', data: { caseId, workitemId, state: 'started', at } },
      });
    }
    if (workitem.state === 'created' || workitem.state === 'started') {
      const output = { by: `user-${Math.floor(rnd() * 50)}`, score: Math.floor(rnd() * 100) };
      list.push({
        weight: 3,
        command: { type: 'CompleteWorkitem', data: { caseId, workitemId, output, at } },
      });
      list.push({ weight: 0.4, command: { type: 'AbandonWorkitem', data: { caseId, workitemId, at } } });
    }
  }
  // The state holds only live tasks.
  for (const task of state.tasks.values()) {
    const taskId = task.id;
    if (task.state === 'allocated') {
      list.push({ weight: 1, command: { type: 'PreexecuteTask', data: { caseId, taskId, at } } });
    }
    list.push({ weight: 0.1, command: { type: 'ForceAbandonTask', data: { caseId, taskId, at } } });
    const heldByOthers = task.offered.filter((id) => {
      const token = state.tokens.get(id);
      return token?.state === 'locked' && token.lockedByTaskId !== taskId;
    });
    if (heldByOthers.length > 0) {
      list.push({
        weight: 2,
        command: { type: 'DiscardTokens', data: { caseId, taskId, tokenIds: heldByOthers, at } },
      });
    }
  }
  list.push({ weight: 0.05, command: { type: 'TerminateCase', data: { caseId, at } } });
  return list;
}

function pick(list: readonly Choice[], rnd: () => number): Choice | undefined {
  let total = 0;
  for (const choice of list) total += choice.weight;
  let r = rnd() * total;
  for (const choice of list) {
    r -= choice.weight;
    if (r <= 0) return choice;
  }
  return list[list.length - 1];
}

/**
 * Yields appends in the order concurrent commands would land: the workflows first (one of them later
 * discarded), then the commands of up to `concurrency` running cases, interleaved at random.
 */
export function* simulateHistories(options: SimulationOptions): Generator<SimulatedAppend> {
  const rnd = seededRandom(options.seed ?? 1);
  const concurrency = options.concurrency ?? 50;
  const leaveOpen = options.leaveOpen ?? 0.02;
  const nets = simulationNets();
  let clock = Date.UTC(2026, 0, 1);
  const now = (): string => new Date((clock += 3)).toISOString();

  for (const definition of nets) {
    yield {
      streamId: `workflow-${definition.id}`,
      events: [{ type: 'WorkflowCreated', data: { workflowId: definition.id, definition, at: now() } }],
    };
  }
  const retired = normalizeWorkflow({ ...(nets[0] as WorkflowDefinition), id: 'retired', name: 'Retired' });
  yield {
    streamId: 'workflow-retired',
    events: [{ type: 'WorkflowCreated', data: { workflowId: 'retired', definition: retired, at: now() } }],
  };
  yield {
    streamId: 'workflow-retired',
    events: [{ type: 'WorkflowDiscarded', data: { workflowId: 'retired', at: now() } }],
  };

  const running: CaseData[] = [];
  let started = 0;
  const decide = (command: CaseCommand, state: CaseState): readonly CaseEvent[] | undefined => {
    try {
      return decideCase(command, state);
    } catch {
      // A refused command records nothing, as through the API.
      return undefined;
    }
  };

  while (started < options.cases || running.length > 0) {
    if (started < options.cases && (running.length < concurrency || rnd() < 0.02)) {
      const definition = nets[Math.floor(rnd() * nets.length)] as WorkflowDefinition;
      const caseId = `c${++started}`;
      const command: CaseCommand = {
        type: 'CreateCase',
        data: {
          caseId,
          workflow: { definition, state: 'active' },
          data: { customer: `customer-${Math.floor(rnd() * 10_000)}`, amount: Math.floor(rnd() * 1000) },
          at: now(),
        },
      };
      const events = decide(command, initialCaseState()) as readonly CaseEvent[];
      running.push(foldCase(initialCaseState(), events) as CaseData);
      yield { streamId: caseStreamId(caseId), events };
      continue;
    }
    const index = Math.floor(rnd() * running.length);
    const state = running[index] as CaseData;
    const last = () => {
      running[index] = running[running.length - 1] as CaseData;
      running.pop();
    };
    if (started >= options.cases && rnd() < leaveOpen) {
      last();
      continue;
    }
    const choice = pick(choices(state, now(), rnd), rnd);
    const events = choice && decide(choice.command, state);
    if (!events || events.length === 0) continue;
    const next = foldCase(state, events) as CaseData;
    yield { streamId: caseStreamId(state.caseId), events };
    if (next.status === 'active') running[index] = next;
    else last();
  }
}

/**
 * Appends simulated commands to a store, keeping up to `inFlight` appends pending at once as concurrent
 * handlers would (an in-process store commits them in call order). Answers the last position.
 */
export async function appendSimulated(
  store: EventStore,
  appends: Iterable<SimulatedAppend>,
  inFlight = 256,
): Promise<bigint> {
  let last = 0n;
  let pending: Promise<void>[] = [];
  for (const { streamId, events } of appends) {
    pending.push(
      store
        .append(
          streamId,
          events.map((e) => ({ id: v7(), type: e.type, data: e.data })),
          'any',
        )
        .then((r) => {
          if (r.position > last) last = r.position;
        }),
    );
    if (pending.length >= inFlight) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  return last;
}
