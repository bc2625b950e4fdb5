import { describe, expect, it } from '@jest/globals';
import type { WorkflowDefinition } from '@wfnet/domain';
import { exampleNets, joinTypes, normalizeWorkflow, splitTypes, validateNet } from '@wfnet/domain';
import {
  approvalNet,
  arbitraryWorkflowNet,
  livelockNet,
  parallelNet,
  producerLoopNet,
  sequentialNet,
  trafficLightNet,
} from '@wfnet/domain/testing';
import fc from 'fast-check';
import { MAX_PNML_BYTES, PnmlError, fromPnml, toPnml } from './pnml.js';

const roundTrip = (definition: WorkflowDefinition): WorkflowDefinition =>
  normalizeWorkflow(fromPnml(toPnml(definition)));

/** A PNML document around the given page content, as another tool would write it. */
const foreign = (
  page: string,
  net = '<net id="n" type="http://www.pnml.org/version-2009/grammar/ptnet">',
): string =>
  `<?xml version="1.0"?><pnml xmlns="http://www.pnml.org/version-2009/grammar/pnml">${net}<page id="pg">${page}</page></net></pnml>`;

const refusal = (xml: string): PnmlError => {
  try {
    fromPnml(xml);
  } catch (error) {
    if (error instanceof PnmlError) return error;
    throw error;
  }
  throw new Error('the document was accepted');
};

describe('a PNML round trip', () => {
  it.each<[string, () => WorkflowDefinition]>([
    ['a sequence', sequentialNet],
    ['an and split and join', parallelNet],
    ['a deferred choice', approvalNet],
    ['the traffic light', trafficLightNet],
    ['a livelock loop', livelockNet],
    ['a producer loop', producerLoopNet],
    ['the loan approval (xor and or splits, an or join)', exampleNets.loanApprovalNet],
  ])('keeps %s equal', (_name, definition) => {
    expect(roundTrip(definition())).toEqual(definition());
  });

  it("carries an arc's condition and default mark and an or join's split in the tool-specific data", () => {
    const xml = toPnml(exampleNets.loanApprovalNet());
    expect(xml).toMatch(
      /<arc id="arc2" source="register" target="to-board">\s*<toolspecific tool="wfnet" version="1">\s*<condition>case\.amount &gt; 10000<\/condition>\s*<\/toolspecific>\s*<\/arc>/,
    );
    expect(xml).toMatch(
      /<arc id="arc3" source="register" target="to-clerk">\s*<toolspecific tool="wfnet" version="1">\s*<default>true<\/default>/,
    );
    expect(xml).toContain('<arc id="arc1" source="start" target="register"/>');
    expect(xml).toMatch(
      /<transition id="checks-done">[^]*?<joinType>or<\/joinType>\s*<splitType>none<\/splitType>\s*<orJoin><split>plan-checks<\/split><\/orJoin>/,
    );
    expect(xml).toMatch(/<transition id="register">[^]*?<splitType>xor<\/splitType>/);
  });

  it('keeps a condition exactly as written: markup characters, quotes, tabs and line breaks', () => {
    const condition = ' case.name == "<A & B>" &&\r\n\t(\'x\' in case.tags || case.n < 2) ';
    const loan = exampleNets.loanApprovalNet();
    const definition: WorkflowDefinition = {
      ...loan,
      arcs: loan.arcs.map((arc) => (arc.condition === 'case.amount > 5000' ? { ...arc, condition } : arc)),
    };
    const read = roundTrip(definition);
    expect(read.arcs.find((arc) => arc.to === 'kyc')?.condition).toBe(condition);
    expect(read).toEqual(definition);
  });

  it('keeps names with markup characters and spaces, executor params and metadata', () => {
    const definition: WorkflowDefinition = {
      ...trafficLightNet(),
      name: '  Ampel <rot> & "grün" \'gelb\' é ',
      metadata: { owner: 'ops & co', tags: ['<a>', 1, true, null], nested: { x: 1.5 } },
      places: trafficLightNet().places.map((p) => (p.id === 'red' ? { ...p, name: 'Rot & <stop>' } : p)),
      transitions: trafficLightNet().transitions.map((t) =>
        t.id === 'init' ? { ...t, name: 'Init ]]> end', executorParams: { url: 'http://x/?a=1&b=2' } } : t,
      ),
    };
    expect(roundTrip(definition)).toEqual(definition);
  });

  it("keeps a transition's timeouts and retry policy and the workflow's caseTimeout, as given", () => {
    const definition: WorkflowDefinition = {
      ...sequentialNet(),
      caseTimeout: 'P30D',
      transitions: sequentialNet().transitions.map((t, i) =>
        i === 0
          ? {
              ...t,
              timeouts: { scheduleToStart: 'PT1H', scheduleToClose: 'P1D' },
              retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['invalid <card> & more'] },
            }
          : t,
      ),
    };
    const pnml = toPnml(definition);
    expect(pnml).toContain('<caseTimeout>P30D</caseTimeout>');
    expect(roundTrip(definition)).toEqual(definition);
    expect(roundTrip(sequentialNet())).not.toHaveProperty('caseTimeout');
  });

  it("keeps a transition's assignment, four eyes and output schema", () => {
    const definition: WorkflowDefinition = {
      ...sequentialNet(),
      transitions: sequentialNet().transitions.map((t, i) =>
        i === 1
          ? {
              ...t,
              assignment: { candidateGroups: ['managers'], candidateUsers: ['ann'], assignee: 'case.owner' },
              separateFrom: [sequentialNet().transitions[0]!.id],
              outputSchema: { type: 'object', properties: { note: { type: 'string', pattern: '^<&>$' } } },
            }
          : t,
      ),
    };
    expect(roundTrip(definition)).toEqual(definition);
    expect(roundTrip(sequentialNet()).transitions[1]).not.toHaveProperty('assignment');
  });

  it('refuses timeouts or a retry policy that are not JSON objects, naming the transition', () => {
    const definition = toPnml({
      ...sequentialNet(),
      transitions: sequentialNet().transitions.map((t, i) => (i === 0 ? { ...t, retry: {} } : t)),
    });
    const broken = definition.replace('<retry>{}</retry>', '<retry>[1]</retry>');
    expect(refusal(broken)).toMatchObject({ path: 'transitions[0].retry' });
  });

  it('keeps an and join with a single input and an and split with a single output', () => {
    const definition: WorkflowDefinition = {
      ...sequentialNet(),
      transitions: sequentialNet().transitions.map((t) => ({ ...t, joinType: 'and', splitType: 'and' })),
    };
    expect(validateNet(definition)).toEqual([]);
    expect(roundTrip(definition)).toEqual(definition);
  });

  it.each(joinTypes.flatMap((join) => splitTypes.map((split) => [join, split] as const)))(
    'carries a %s join and a %s split by name in the tool-specific data',
    (joinType, splitType) => {
      const definition: WorkflowDefinition = {
        ...sequentialNet(),
        transitions: sequentialNet().transitions.map((t) => ({ ...t, joinType, splitType })),
      };
      const xml = toPnml(definition);
      expect(xml).toContain(`<joinType>${joinType}</joinType>`);
      expect(xml).toContain(`<splitType>${splitType}</splitType>`);
      expect(roundTrip(definition)).toEqual(definition);
    },
  );

  it('keeps any random workflow net equal', () => {
    fc.assert(
      fc.property(arbitraryWorkflowNet(3), (definition) => {
        expect(roundTrip(definition)).toEqual(definition);
      }),
      { numRuns: 200 },
    );
  });

  it('writes standard P/T PNML: namespace, net type, initial marking of start, arcs by id', () => {
    const xml = toPnml(sequentialNet());
    expect(xml).toContain('<pnml xmlns="http://www.pnml.org/version-2009/grammar/pnml">');
    expect(xml).toContain('type="http://www.pnml.org/version-2009/grammar/ptnet"');
    expect(xml).toMatch(/<place id="start">\s*<initialMarking><text>1<\/text><\/initialMarking>/);
    expect(xml).toContain('<arc id="arc1" source="start" target="a"/>');
  });

  it('picks arc and page ids no node id can collide with', () => {
    const definition = normalizeWorkflow({
      id: 'clash',
      places: [{ id: 'start', type: 'start' }, { id: 'arc1' }, { id: 'end', type: 'end' }],
      transitions: [
        { id: 'page', executor: 'auto' },
        { id: 'b', executor: 'auto' },
      ],
      arcs: [
        { from: 'start', to: 'page' },
        { from: 'page', to: 'arc1' },
        { from: 'arc1', to: 'b' },
        { from: 'b', to: 'end' },
      ],
    });
    const xml = toPnml(definition);
    const ids = [...xml.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(roundTrip(definition)).toEqual(definition);
  });
});

describe('PNML from another tool (no wfnet tool-specific data)', () => {
  const plain = foreign(
    '<place id="i"><initialMarking><text>1</text></initialMarking></place>' +
      '<place id="a"/><place id="b"/><place id="o"/>' +
      '<transition id="split"><name><text>Split &#233;</text></name></transition>' +
      '<transition id="join"/>' +
      '<arc id="1" source="i" target="split"/><arc id="2" source="split" target="a"/>' +
      '<arc id="3" source="split" target="b"/><arc id="4" source="a" target="join"/>' +
      '<arc id="5" source="b" target="join"><inscription><text>1</text></inscription></arc>' +
      '<arc id="6" source="join" target="o"/>',
  );

  it('takes the marked place as start, the place nothing leaves as end, and arcs for and joins and splits', () => {
    const input = fromPnml(plain);
    expect(input.places).toEqual([
      { id: 'i', type: 'start' },
      { id: 'a' },
      { id: 'b' },
      { id: 'o', type: 'end' },
    ]);
    expect(input.transitions.find((t) => t.id === 'split')).toEqual({
      id: 'split',
      name: 'Split é',
      executor: 'manual',
      joinType: 'none',
      splitType: 'and',
    });
    expect(input.transitions.find((t) => t.id === 'join')).toMatchObject({
      joinType: 'and',
      splitType: 'none',
    });
    expect(validateNet(normalizeWorkflow(input))).toEqual([]);
  });

  it("ignores another tool's data on an arc, and reads an arc without a condition or default mark", () => {
    const annotated = plain.replace(
      '<arc id="2" source="split" target="a"/>',
      '<arc id="2" source="split" target="a"><toolspecific tool="other" version="3"><condition>x</condition><default>true</default></toolspecific></arc>',
    );
    expect(fromPnml(annotated)).toEqual(fromPnml(plain));
    expect(fromPnml(plain).arcs).toContainEqual({ from: 'split', to: 'a' });
  });

  it('reads nodes on nested pages', () => {
    const nested = foreign(
      '<place id="s"/><transition id="t"/><page id="inner"><place id="e"/>' +
        '<arc id="x" source="s" target="t"/><arc id="y" source="t" target="e"/></page>',
    );
    const input = fromPnml(nested);
    expect(input.places.map((p) => [p.id, p.type])).toEqual([
      ['s', 'start'],
      ['e', 'end'],
    ]);
    expect(input.arcs).toHaveLength(2);
  });

  it('accepts a pnml: namespace prefix', () => {
    const prefixed = toPnml(sequentialNet())
      .replace('<pnml xmlns=', '<pnml:pnml xmlns:pnml=')
      .replace('</pnml>', '</pnml:pnml>');
    expect(normalizeWorkflow(fromPnml(prefixed))).toEqual(sequentialNet());
  });
});

describe('PNML that is refused with a clear message', () => {
  it.each<[string, string, RegExp]>([
    [
      'a billion laughs (entity expansion)',
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><pnml><net id="&lol2;"/></pnml>',
      /DTDs and entities are not accepted/,
    ],
    [
      'an external entity (XXE)',
      '<?xml version="1.0"?><!DOCTYPE pnml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><pnml><net id="&xxe;"/></pnml>',
      /DTDs and entities are not accepted/,
    ],
    ['malformed XML', '<pnml><net id="n"><page></net></pnml>', /not well-formed XML: .*line 1/],
    ['not XML at all', '{"places": []}', /not well-formed XML/],
    ['another root element', '<petrinet><net id="n"/></petrinet>', /root element is not <pnml>/],
    ['no net', '<pnml></pnml>', /has no <net>/],
    ['a net without id', '<pnml><net type="ptnet"/></pnml>', /no id attribute/],
    [
      'a colored net',
      '<pnml><net id="n" type="http://www.pnml.org/version-2009/grammar/symmetricnet"/></pnml>',
      /only place\/transition nets/,
    ],
    [
      'an arc of weight 2',
      foreign(
        '<place id="p"/><transition id="t"/><arc id="a" source="p" target="t"><inscription><text>2</text></inscription></arc>',
      ),
      /weight 2: a workflow net's arcs have weight 1/,
    ],
    [
      'two marked places',
      foreign(
        '<place id="p"><initialMarking><text>1</text></initialMarking></place><place id="q"><initialMarking><text>1</text></initialMarking></place>',
      ),
      /2 places are marked/,
    ],
    [
      'executor params that are not JSON',
      foreign(
        '<transition id="t"><toolspecific tool="wfnet" version="1"><executorParams>{oops</executorParams></toolspecific></transition>',
      ),
      /transitions\[0\]\.executorParams is not JSON/,
    ],
    [
      'an unknown join type',
      foreign(
        '<transition id="t"><toolspecific tool="wfnet" version="1"><joinType>xor</joinType></toolspecific></transition>',
      ),
      /joinType is xor: none, and or or/,
    ],
    [
      'an arc whose default mark is not a boolean',
      foreign(
        '<place id="p"/><transition id="t"/><arc id="a" source="t" target="p"><toolspecific tool="wfnet" version="1"><default>yes</default></toolspecific></arc>',
      ),
      /arc t → p has default yes: true or false/,
    ],
    [
      'an or join naming no split',
      foreign(
        '<transition id="t"><toolspecific tool="wfnet" version="1"><joinType>or</joinType><orJoin/></toolspecific></transition>',
      ),
      /transition t has an orJoin without a split/,
    ],
    [
      'tags nested a thousand deep',
      `<pnml><net id="n">${'<page id="p">'.repeat(1000)}${'</page>'.repeat(1000)}</net></pnml>`,
      /cannot be read|nested too deeply/,
    ],
  ])('refuses %s', (_name, xml, message) => {
    expect(refusal(xml).message).toMatch(message);
  });

  it('refuses a document over 1 MiB before parsing it', () => {
    const huge = foreign(`<place id="p"><name><text>${'x'.repeat(MAX_PNML_BYTES)}</text></name></place>`);
    const started = performance.now();
    expect(refusal(huge).message).toMatch(/over 1048576 bytes/);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
