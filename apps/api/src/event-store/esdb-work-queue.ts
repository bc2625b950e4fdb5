import { CASE_STREAM_PREFIX } from '@wfnet/domain';
import type { RecordedEvent } from '@wfnet/domain';
import { WORK_EVENT_TYPES } from '../executors/work-queue.js';
import type { WorkDelivery, WorkQueue } from '../executors/work-queue.js';
import { createDispatchGroup, fromResolved, nackAction, subscribeDispatchGroup } from './esdb-client.js';
import type { EsdbDelivered, EsdbPersistentSubscription, EsdbRawClient, HandBack } from './esdb-client.js';

/** The persistent subscription group the api processes on one EventStoreDB share for dispatch. */
export const DEFAULT_DISPATCH_GROUP = 'wfnet-dispatch';

/**
 * How many times the server hands an event out again before it parks it. Parked, a workitem would never
 * run, so this is out of reach in practice: a year of handing out again every 30 s.
 */
export const DISPATCH_MAX_RETRY_COUNT = 1_000_000;

/** The longest an ack or nack may take: a write on a connection that broke meanwhile may never end. */
const ANSWER_TIMEOUT_MS = 10_000;

/** `sent`, failing once `ANSWER_TIMEOUT_MS` pass without it. */
async function bounded(what: string, sent: Promise<void>): Promise<void> {
  let timeout: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timeout = setTimeout(
      () => reject(new Error(`the ${what} was not sent within ${ANSWER_TIMEOUT_MS} ms`)),
      ANSWER_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([sent, expired]);
  } finally {
    clearTimeout(timeout);
  }
}

export interface EsdbWorkQueueOptions {
  /** The group's name; processes of one deployment share it. */
  readonly group?: string;
  /** How long the process has to ack an event before the server hands it to another (the claim lease). */
  readonly messageTimeoutMs: number;
  /**
   * Events the server sends ahead of the acks. The message timeout of each runs from its sending, so more
   * than the dispatcher runs at once (64 by default) would wait here and be handed out again meanwhile.
   */
  readonly bufferSize?: number;
  /** Pause before connecting again after a failure. */
  readonly retryDelayMs?: number;
  readonly log: { warn(message: string): void; error(message: string): void };
}

/** One connection to the group, from `join` to `leave`. */
interface Membership {
  stopped: boolean;
  subscription: EsdbPersistentSubscription | undefined;
  /** Ends the wait under way (see `untilLeft`). */
  interrupt: (() => void) | undefined;
}

/**
 * `work`'s result, or undefined once the membership is left first. A fresh promise per wait, rather than a
 * race with one that lasts as long as the membership, which would keep a reaction for every event.
 */
function untilLeft<T>(membership: Membership, work: Promise<T>): Promise<T | undefined> {
  if (membership.stopped) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    membership.interrupt = () => resolve(undefined);
    work.then(resolve, reject);
  });
}

/**
 * The work of this process as a member of a persistent subscription group on `$all` (round robin, filtered
 * to `WORK_EVENT_TYPES`): the server hands each such event to one member, and hands it to another when
 * its member does not ack it within `messageTimeoutMs` or loses its connection. The group is created at
 * the first join if missing. A connection that fails is made again after a pause, until `leave`.
 */
export class EsdbWorkQueue implements WorkQueue {
  readonly group: string;
  readonly #bufferSize: number;
  readonly #retryDelayMs: number;
  #membership: Membership | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly client: EsdbRawClient,
    private readonly options: EsdbWorkQueueOptions,
  ) {
    this.group = options.group ?? DEFAULT_DISPATCH_GROUP;
    this.#bufferSize = options.bufferSize ?? 64;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
  }

  get description(): string {
    return `EventStoreDB persistent subscription ${this.group} on $all`;
  }

  join(deliver: (delivery: WorkDelivery) => Promise<void>): Promise<void> {
    if (this.#membership !== undefined) return Promise.resolve();
    const membership: Membership = { stopped: false, subscription: undefined, interrupt: undefined };
    this.#membership = membership;
    this.#running = this.#run(membership, deliver);
    return Promise.resolve();
  }

  /** Closes the connection: the server hands what this process has not acked to the other members. */
  async leave(): Promise<void> {
    const membership = this.#membership;
    if (membership === undefined) return;
    this.#membership = undefined;
    membership.stopped = true;
    membership.interrupt?.();
    await membership.subscription?.unsubscribe().catch(() => undefined);
    await this.#running;
  }

  async #run(membership: Membership, deliver: (delivery: WorkDelivery) => Promise<void>): Promise<void> {
    while (!membership.stopped) {
      try {
        await this.#connect(membership, deliver);
      } catch (error) {
        if (membership.stopped) break;
        this.options.log.error(
          `dispatcher: the work queue (${this.description}) failed: ${error instanceof Error ? error.message : String(error)}; connecting again in ${this.#retryDelayMs} ms`,
        );
      }
      if (membership.stopped) break;
      let pause: NodeJS.Timeout | undefined;
      await untilLeft(
        membership,
        new Promise((resolve) => (pause = setTimeout(resolve, this.#retryDelayMs))),
      );
      // A leave ends the wait early: its timer would otherwise keep the process alive until it ran out.
      clearTimeout(pause);
    }
  }

  async #connect(membership: Membership, deliver: (delivery: WorkDelivery) => Promise<void>): Promise<void> {
    await createDispatchGroup(this.client, this.group, {
      eventTypes: WORK_EVENT_TYPES,
      messageTimeoutMs: this.options.messageTimeoutMs,
      maxRetryCount: DISPATCH_MAX_RETRY_COUNT,
    });
    if (membership.stopped) return;
    const subscription = subscribeDispatchGroup(this.client, this.group, this.#bufferSize);
    membership.subscription = subscription;
    const iterator = subscription[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await untilLeft(membership, iterator.next());
        if (next === undefined || next.done === true || membership.stopped) return;
        const resolved = next.value;
        const event = fromResolved(resolved);
        // Not ours (another app's events of the same type, a deleted event): nothing to run.
        if (event === undefined || !event.streamId.startsWith(CASE_STREAM_PREFIX))
          await bounded('ack', subscription.ack(resolved));
        // A delivery still in hand when the process leaves does not hold the leaving up.
        else await untilLeft(membership, deliver(this.#delivery(subscription, resolved, event)));
      }
    } finally {
      membership.subscription = undefined;
      void iterator.return?.().catch(() => undefined);
    }
  }

  #delivery(
    subscription: EsdbPersistentSubscription,
    resolved: EsdbDelivered,
    event: RecordedEvent,
  ): WorkDelivery {
    if (resolved.retryCount >= DISPATCH_MAX_RETRY_COUNT - 10) {
      this.options.log.error(
        `dispatcher: the event at position ${event.position} was handed out ${resolved.retryCount + 1} times: at ${DISPATCH_MAX_RETRY_COUNT} the server parks it, and no process runs its work until the parked messages of ${this.group} are replayed`,
      );
    }
    return {
      event,
      retryCount: resolved.retryCount,
      ack: () => bounded('ack', subscription.ack(resolved)),
      nack: (action: HandBack, reason: string) => {
        if (action === 'park') {
          this.options.log.error(
            `dispatcher: the event at position ${event.position} is parked (${reason}): no process runs its work until the parked messages of ${this.group} are replayed`,
          );
        }
        return bounded('nack', subscription.nack(nackAction(action), reason, resolved));
      },
    };
  }
}
