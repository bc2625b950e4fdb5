/**
 * `npm run bench:verify [-- --runs 5]`: soundness verification time for generated sound workflow nets of
 * about 10, 100 and 1,000 nodes (places + transitions) built from sequences, parallel blocks, choices and
 * loops; medians of several runs, with the reduction rules (the default) and, for comparison, with the
 * state space alone.
 */
import type { NetBlock, SoundnessReport, WorkflowDefinition } from '@wfnet/domain';
import { netFromBlock, validateNet, verifySoundness } from '@wfnet/domain';
import { seededRandom } from '../soak/seeded-random.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg === -1 ? 5 : Number(process.argv[runsArg + 1]);
const SIZES = [10, 100, 1000] as const;
const NETS_PER_SIZE = 5;

type Block =
  { kind: 'step' } | { kind: 'sequence' | 'parallel' | 'choice' | 'loop'; first: Block; second: Block };

const KINDS = [
  ['sequence', 3],
  ['parallel', 2],
  ['choice', 2],
  ['loop', 1],
] as const;

/** Grows a block by turning random steps into composites until the net has `nodes` nodes or more. */
function generate(nodes: number, seed: number): WorkflowDefinition {
  const next = seededRandom(seed);
  const root: { block: Block } = { block: { kind: 'step' } };
  const steps: { holder: { block: Block } | Block; key: 'block' | 'first' | 'second' }[] = [
    { holder: root, key: 'block' },
  ];
  let definition = build(root.block, seed);
  while (nodes > definition.places.length + definition.transitions.length) {
    const [slot] = steps.splice(Math.floor(next() * steps.length), 1);
    if (!slot) break;
    let pick = next() * KINDS.reduce((sum, [, weight]) => sum + weight, 0);
    const kind = KINDS.find(([, weight]) => (pick -= weight) < 0)?.[0] ?? 'sequence';
    const composite: Block = { kind, first: { kind: 'step' }, second: { kind: 'step' } };
    (slot.holder as Record<string, Block>)[slot.key] = composite;
    steps.push({ holder: composite, key: 'first' }, { holder: composite, key: 'second' });
    definition = build(root.block, seed);
  }
  return definition;
}

/** The block as the domain's net builder reads it: every transition `manual`. */
function build(block: Block, seed: number): WorkflowDefinition {
  return netFromBlock(toNetBlock(block), ['manual'], `generated-${seed}`);
}

function toNetBlock(block: Block): NetBlock {
  switch (block.kind) {
    case 'step':
      return block;
    case 'sequence':
      return { kind: 'sequence', first: toNetBlock(block.first), second: toNetBlock(block.second) };
    case 'loop':
      return { kind: 'loop', body: toNetBlock(block.first), back: toNetBlock(block.second) };
    case 'parallel':
    case 'choice':
      return { kind: block.kind, left: toNetBlock(block.first), right: toNetBlock(block.second) };
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

interface Figure {
  readonly ms: number;
  readonly report: SoundnessReport;
}

/** The median time of verifying each net `RUNS` times, after one warm-up. */
function measure(nets: readonly WorkflowDefinition[], reduce: boolean): Figure[] {
  return nets.map((net) => {
    let report = verifySoundness(net, { reduce });
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      report = verifySoundness(net, { reduce });
      times.push(performance.now() - started);
    }
    return { ms: median(times), report };
  });
}

const format = (ms: number): string => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));

console.log(
  `Verification, medians of ${RUNS} runs per net, ${NETS_PER_SIZE} nets per size, Node ${process.version}`,
);
console.log('');
console.log(
  '| nodes (median) | places / transitions | with reduction: ms (median, max) | verdicts | state space only: ms (median) | verdicts, markings explored |',
);
console.log('|---:|---:|---:|---|---:|---|');
for (const size of SIZES) {
  const nets = Array.from({ length: NETS_PER_SIZE }, (_, i) => generate(size, size * 100 + i));
  for (const net of nets) {
    if (validateNet(net).length > 0) throw new Error(`generated net ${net.id} is not a workflow net`);
  }
  const reduced = measure(nets, true);
  const direct = measure(nets, false);
  /** How many nets got each verdict (and method), e.g. `3 true by reduction, 2 undecided`. */
  const verdicts = (figures: Figure[], detail: (r: SoundnessReport) => string): string => {
    const counts = new Map<string, number>();
    for (const { report } of figures) {
      const key = `${String(report.sound)}${detail(report)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([key, count]) => `${count} ${key}`).join(', ');
  };
  const nodeCounts = nets.map((n) => n.places.length + n.transitions.length);
  console.log(
    `| ${median(nodeCounts)} | ${median(nets.map((n) => n.places.length))} / ${median(nets.map((n) => n.transitions.length))} ` +
      `| ${format(median(reduced.map((f) => f.ms)))} (${format(Math.max(...reduced.map((f) => f.ms)))}) ` +
      `| ${verdicts(reduced, (r) => ` by ${r.method}`)} ` +
      `| ${format(median(direct.map((f) => f.ms)))} ` +
      `| ${verdicts(direct, () => '')}, ${median(direct.map((f) => f.report.statesExplored)).toLocaleString('en')} markings (median) |`,
  );
}
