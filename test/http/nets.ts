// The nets of `shared/examples/*.json` as `POST /workflows` bodies, exactly as a client sends them (defaults
// left out). Each call builds a fresh object, so a test may alter its copy.

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
  }[];
  arcs: { from: string; to: string }[];
  metadata?: Record<string, unknown>;
}

export function sequential(): NetBody {
  return {
    id: 'sequential',
    name: 'Two steps in a row',
    places: [{ id: 'start', type: 'start' }, { id: 'middle' }, { id: 'end', type: 'end' }],
    transitions: [
      { id: 'a', executor: 'auto', executorParams: { output: 'a done' } },
      { id: 'b', executor: 'auto', executorParams: { output: 'b done' } },
    ],
    arcs: [
      { from: 'start', to: 'a' },
      { from: 'a', to: 'middle' },
      { from: 'middle', to: 'b' },
      { from: 'b', to: 'end' },
    ],
  };
}

export function parallel(): NetBody {
  return {
    id: 'parallel',
    name: 'Split into two branches and join them',
    places: [
      { id: 'start', type: 'start' },
      { id: 'left' },
      { id: 'right' },
      { id: 'left-done' },
      { id: 'right-done' },
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'split', executor: 'auto', splitType: 'and' },
      { id: 'work-left', executor: 'auto', executorParams: { output: 'L' } },
      { id: 'work-right', executor: 'auto', executorParams: { output: 'R' } },
      { id: 'join', executor: 'auto', joinType: 'and' },
    ],
    arcs: [
      { from: 'start', to: 'split' },
      { from: 'split', to: 'left' },
      { from: 'split', to: 'right' },
      { from: 'left', to: 'work-left' },
      { from: 'work-left', to: 'left-done' },
      { from: 'right', to: 'work-right' },
      { from: 'work-right', to: 'right-done' },
      { from: 'left-done', to: 'join' },
      { from: 'right-done', to: 'join' },
      { from: 'join', to: 'end' },
    ],
  };
}

/** `parallel` with a manual left branch: `join` is started with the right token only until someone acts. */
export function parallelWithManualLeft(): NetBody {
  const net = parallel();
  net.id = 'parallel-manual-left';
  net.transitions = net.transitions.map((t) => (t.id === 'work-left' ? { id: t.id, executor: 'manual' } : t));
  return net;
}

export function approval(): NetBody {
  return {
    id: 'approval',
    name: 'Deferred choice: whichever reviewer acts first decides',
    places: [{ id: 'start', type: 'start' }, { id: 'submitted' }, { id: 'end', type: 'end' }],
    transitions: [
      { id: 'submit', executor: 'auto' },
      { id: 'approve', executor: 'manual' },
      { id: 'reject', executor: 'manual' },
    ],
    arcs: [
      { from: 'start', to: 'submit' },
      { from: 'submit', to: 'submitted' },
      { from: 'submitted', to: 'approve' },
      { from: 'submitted', to: 'reject' },
      { from: 'approve', to: 'end' },
      { from: 'reject', to: 'end' },
    ],
  };
}

export function trafficLight(): NetBody {
  return {
    id: 'traffic-light',
    name: 'Traffic light: cycles until switched off',
    places: [
      { id: 'start', type: 'start' },
      { id: 'yellow' },
      { id: 'red' },
      { id: 'green' },
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'init', executor: 'auto', executorParams: { output: 'on' } },
      { id: 'y2r', executor: 'manual' },
      { id: 'r2g', executor: 'manual' },
      { id: 'g2y', executor: 'manual' },
      { id: 'will-end', executor: 'manual' },
    ],
    arcs: [
      { from: 'start', to: 'init' },
      { from: 'init', to: 'yellow' },
      { from: 'yellow', to: 'y2r' },
      { from: 'y2r', to: 'red' },
      { from: 'red', to: 'r2g' },
      { from: 'r2g', to: 'green' },
      { from: 'green', to: 'g2y' },
      { from: 'g2y', to: 'yellow' },
      { from: 'red', to: 'will-end' },
      { from: 'will-end', to: 'end' },
    ],
  };
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
