import { readFileSync } from 'node:fs';

// The nets of the repository's `examples/*.json`, read as `POST /workflows` bodies exactly as a client
// sends them (defaults left out), and a few more. Each call builds a fresh object, so a test may alter its copy.

export interface NetBody {
  id?: string;
  name?: string;
  places: { id: string; type?: string; name?: string }[];
  transitions: {
    id: string;
    executor: string;
    executorParams?: Record<string, unknown>;
    joinType?: string;
    splitType?: string;
    timeouts?: Record<string, string>;
    retry?: Record<string, unknown>;
    assignment?: { candidateGroups?: string[]; candidateUsers?: string[]; assignee?: string };
    separateFrom?: string[];
    outputSchema?: Record<string, unknown>;
  }[];
  arcs: { from: string; to: string; condition?: string; default?: boolean }[];
  metadata?: Record<string, unknown>;
  caseTimeout?: string;
}

/** `examples/<name>.json`, as a client would post it. */
export function example(name: string): NetBody {
  return JSON.parse(readFileSync(`examples/${name}.json`, 'utf8')) as NetBody;
}

export function sequential(): NetBody {
  return example('sequential');
}

export function parallel(): NetBody {
  return example('parallel');
}

/** `parallel` with a manual left branch: `join` is started with the right token only until someone acts. */
export function parallelWithManualLeft(): NetBody {
  const net = parallel();
  net.id = 'parallel-manual-left';
  net.transitions = net.transitions.map((t) => (t.id === 'work-left' ? { id: t.id, executor: 'manual' } : t));
  return net;
}

export function approval(): NetBody {
  return example('approval');
}

export function trafficLight(): NetBody {
  return example('traffic-light');
}

/** One manual step: `start → review → end`. */
export function singleManual(id = 'single-manual'): NetBody {
  return {
    id,
    places: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    transitions: [{ id: 'review', executor: 'manual' }],
    arcs: [
      { from: 'start', to: 'review' },
      { from: 'review', to: 'end' },
    ],
  };
}

/**
 * A loan whose manual `apply` decides on its output: `board` (then the manual `approve`) when
 * `output.amount > 10000`, else by the default arc `clerk` (then the automatic `file`). Completing `apply`
 * without an amount raises a `condition_failed` incident.
 */
export function loanOnOutput(id: string): NetBody {
  return {
    id,
    places: [{ id: 'start', type: 'start' }, { id: 'board' }, { id: 'clerk' }, { id: 'end', type: 'end' }],
    transitions: [
      { id: 'apply', executor: 'manual', splitType: 'xor' },
      { id: 'approve', executor: 'manual' },
      { id: 'file', executor: 'auto' },
    ],
    arcs: [
      { from: 'start', to: 'apply' },
      { from: 'apply', to: 'board', condition: 'output.amount > 10000' },
      { from: 'apply', to: 'clerk', default: true },
      { from: 'board', to: 'approve' },
      { from: 'approve', to: 'end' },
      { from: 'clerk', to: 'file' },
      { from: 'file', to: 'end' },
    ],
  };
}
