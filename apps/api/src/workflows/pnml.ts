import {
  isJoinType,
  isSplitType,
  joinTypes,
  placeTransitionJoin,
  placeTransitionSplit,
  splitTypes,
} from '@wfnet/domain';
import type {
  ArcInput,
  JsonValue,
  PlaceInput,
  TransitionInput,
  WorkflowDefinition,
  WorkflowInput,
} from '@wfnet/domain';
import type { EntityDecoderOptions } from 'fast-xml-parser';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

// PNML (ISO/IEC 15909-2) for place/transition nets. Places, transitions and arcs map one to one, and a
// transition whose join and split kinds fire as a P/T transition does (a token from every input place, one
// to every output place) means the same to any tool. What PNML has no construct for (which place is the
// end, executors, the join and split kinds by their JSON names, an or join's split, an arc's condition or
// default mark) travels in `<toolspecific tool="wfnet">`; a PNML file from another tool without it is read with the P/T meaning: start is the marked place, end
// the place without outgoing arcs, joins and splits are the kinds that fire as P/T transitions with that
// many arcs (several arcs make an `and`), and steps are `manual`.

export const PNML_NAMESPACE = 'http://www.pnml.org/version-2009/grammar/pnml';
export const PTNET_TYPE = 'http://www.pnml.org/version-2009/grammar/ptnet';
export const PNML_TOOL = 'wfnet';
const TOOL_VERSION = '1';
/** The same limit as any request body. */
export const MAX_PNML_BYTES = 1024 * 1024;
const MAX_DEPTH = 32;

/** The most of a parser's own message an error repeats: it may quote a whole document's worth of tags. */
const MAX_DETAIL_CHARS = 200;

function brief(text: string): string {
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text;
}

/** A PNML document that cannot be read as a workflow net; `path` says where. */
export class PnmlError extends Error {
  override readonly name = 'PnmlError';
  constructor(
    message: string,
    readonly path = 'pnml',
  ) {
    // Messages quote the document (a type, a count, a tag): a quote is cut short, the answer stays small.
    super(message.length > 2 * MAX_DETAIL_CHARS ? `${message.slice(0, 2 * MAX_DETAIL_CHARS)}…` : message);
  }
}

/** The definition as a PNML document (UTF-8). `fromPnml` reads it back to an equal definition. */
export function toPnml(definition: WorkflowDefinition): string {
  const ids = new Set([...definition.places.map((p) => p.id), ...definition.transitions.map((t) => t.id)]);
  const fresh = (base: string): string => {
    let id = base;
    while ([...ids].some((taken) => taken.startsWith(id))) id = `_${id}`;
    return id;
  };
  const arcPrefix = fresh('arc');
  const pageId = fresh('page');
  const tool = (inner: string[]): string[] => [
    `<toolspecific tool="${PNML_TOOL}" version="${TOOL_VERSION}">`,
    ...inner.map((line) => `  ${line}`),
    '</toolspecific>',
  ];
  const name = (value: string | undefined): string[] =>
    value === undefined ? [] : [`<name><text>${escape(value)}</text></name>`];
  const json = (tag: string, value: JsonValue): string => `<${tag}>${escape(JSON.stringify(value))}</${tag}>`;
  const indent = (lines: string[], depth: number): string[] =>
    lines.map((line) => `${'  '.repeat(depth)}${line}`);

  const page: string[] = [];
  for (const place of definition.places) {
    page.push(`<place id="${escape(place.id)}">`);
    page.push(...indent(name(place.name), 1));
    if (place.type === 'start') page.push('  <initialMarking><text>1</text></initialMarking>');
    page.push(...indent(tool([`<type>${place.type}</type>`]), 1));
    page.push('</place>');
  }
  for (const transition of definition.transitions) {
    page.push(`<transition id="${escape(transition.id)}">`);
    page.push(...indent(name(transition.name), 1));
    const inner = [`<executor>${escape(transition.executor)}</executor>`];
    if (Object.keys(transition.executorParams).length > 0) {
      inner.push(json('executorParams', transition.executorParams));
    }
    inner.push(
      `<joinType>${transition.joinType}</joinType>`,
      `<splitType>${transition.splitType}</splitType>`,
    );
    if (transition.orJoin) inner.push(`<orJoin><split>${escape(transition.orJoin.split)}</split></orJoin>`);
    if (transition.timeouts) inner.push(json('timeouts', transition.timeouts as JsonValue));
    if (transition.retry) inner.push(json('retry', transition.retry));
    if (transition.assignment) inner.push(json('assignment', transition.assignment as JsonValue));
    if (transition.separateFrom) inner.push(json('separateFrom', [...transition.separateFrom]));
    if (transition.outputSchema) inner.push(json('outputSchema', transition.outputSchema));
    page.push(...indent(tool(inner), 1));
    page.push('</transition>');
  }
  definition.arcs.forEach((arc, i) => {
    const open = `<arc id="${arcPrefix}${i + 1}" source="${escape(arc.from)}" target="${escape(arc.to)}"`;
    const inner = [
      ...(arc.condition === undefined ? [] : [`<condition>${escape(arc.condition)}</condition>`]),
      ...(arc.default ? ['<default>true</default>'] : []),
    ];
    if (inner.length === 0) page.push(`${open}/>`);
    else page.push(`${open}>`, ...indent(tool(inner), 1), '</arc>');
  });

  const netTool = [
    ...(Object.keys(definition.metadata).length > 0 ? [json('metadata', definition.metadata)] : []),
    ...(definition.caseTimeout === undefined
      ? []
      : [`<caseTimeout>${escape(definition.caseTimeout)}</caseTimeout>`]),
  ];
  const net = [
    ...name(definition.name),
    ...(netTool.length > 0 ? tool(netTool) : []),
    `<page id="${pageId}">`,
    ...indent(page, 1),
    '</page>',
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<pnml xmlns="${PNML_NAMESPACE}">`,
    `  <net id="${escape(definition.id)}" type="${PTNET_TYPE}">`,
    ...indent(net, 2),
    '  </net>',
    '</pnml>',
    '',
  ].join('\n');
}

function escape(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // A parser turns a raw carriage return into a line feed (XML's end-of-line handling).
      .replace(/\r/g, '&#13;')
  );
}

type XmlNode = { readonly [key: string]: unknown };

const ARRAYS = new Set(['net', 'page', 'place', 'transition', 'arc', 'toolspecific']);

const XML_ENTITIES: { readonly [name: string]: string } = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

/**
 * XML's own references only: the five predefined entities and character references. The parser's default
 * leaves character references undecoded, and a document never gets to define entities (no DTD passes).
 */
const xmlReferences: EntityDecoderOptions = {
  setExternalEntities: () => undefined,
  addInputEntities: () => {
    throw new PnmlError('entity definitions are not accepted');
  },
  reset: () => undefined,
  setXmlVersion: () => undefined,
  decode: (text) =>
    text.replace(
      /&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([a-z]{2,4}));/g,
      (reference, hex, decimal, name) => {
        if (typeof name === 'string') return XML_ENTITIES[name] ?? reference;
        const codePoint = typeof hex === 'string' ? parseInt(hex, 16) : Number(decimal);
        return codePoint > 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : reference;
      },
    ),
};

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  // Names keep their spaces; whitespace between elements is dropped by the parser either way.
  trimValues: false,
  isArray: (tagName) => ARRAYS.has(tagName),
  maxNestedTags: MAX_DEPTH,
  processEntities: true,
  entityDecoder: xmlReferences,
});

/**
 * The body of `POST /workflows` that a PNML document describes (the first net in it). Throws `PnmlError`
 * for anything that is not well-formed, safe, P/T PNML: document type declarations (and so entity
 * definitions, the way to entity-expansion and external-entity attacks) are refused outright.
 */
export function fromPnml(xml: string): WorkflowInput {
  if (Buffer.byteLength(xml, 'utf8') > MAX_PNML_BYTES) {
    throw new PnmlError(`the PNML document is over ${MAX_PNML_BYTES} bytes`);
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) {
    throw new PnmlError(
      'the PNML document has a document type declaration; DTDs and entities are not accepted',
    );
  }
  const wellFormed = XMLValidator.validate(xml);
  if (wellFormed !== true) {
    const { msg, line, col } = wellFormed.err;
    throw new PnmlError(
      `the PNML document is not well-formed XML: ${brief(msg)} (line ${line}, column ${col})`,
    );
  }
  let document: XmlNode;
  try {
    document = parser.parse(xml) as XmlNode;
  } catch (error) {
    throw new PnmlError(
      `the PNML document cannot be read: ${brief(error instanceof Error ? error.message : String(error))}`,
    );
  }
  const root = child(document, 'pnml');
  if (root === undefined) throw new PnmlError('the document is not PNML: its root element is not <pnml>');
  const [net] = children(root, 'net');
  if (!net) throw new PnmlError('the PNML document has no <net>', 'pnml.net');
  const type = attribute(net, 'type');
  if (type !== undefined && !/ptnet$/i.test(type)) {
    throw new PnmlError(
      `only place/transition nets are accepted, this net's type is ${type}`,
      'pnml.net.type',
    );
  }
  return readNet(net);
}

function readNet(net: XmlNode): WorkflowInput {
  const id = attribute(net, 'id');
  if (!id) throw new PnmlError('the net has no id attribute', 'pnml.net.id');
  const nodes = flattenPages(net);
  const places = nodes.places.map((place, i) => readPlace(place, `places[${i}]`));
  const transitions = nodes.transitions.map((transition, i) =>
    readTransition(transition, `transitions[${i}]`),
  );
  const arcs = nodes.arcs.map((arc, i) => readArc(arc, `arcs[${i}]`));
  inferPlaceTypes(places, arcs);
  const name = textOf(child(net, 'name'));
  const metadata = jsonObject(toolOf(net), 'metadata', 'metadata');
  const caseTimeout = textOf(child(toolOf(net), 'caseTimeout'))?.trim();
  return {
    id,
    ...(name !== undefined && { name }),
    places: places.map(({ marking: _marking, ...place }) => place),
    transitions: transitions.map((transition) => inferJoinAndSplit(transition, arcs)),
    arcs,
    ...(metadata && { metadata }),
    ...(caseTimeout !== undefined && { caseTimeout }),
  };
}

interface Nodes {
  readonly places: XmlNode[];
  readonly transitions: XmlNode[];
  readonly arcs: XmlNode[];
}

/** The nodes of every page, nested pages included, in document order per kind. */
function flattenPages(net: XmlNode): Nodes {
  const nodes: Nodes = { places: [], transitions: [], arcs: [] };
  const visit = (container: XmlNode, depth: number): void => {
    if (depth > MAX_DEPTH) throw new PnmlError('the PNML pages are nested too deeply');
    for (const kind of ['referencePlace', 'referenceTransition']) {
      if (child(container, kind) !== undefined) {
        throw new PnmlError(`<${kind}> is not supported: put every node on the pages themselves`);
      }
    }
    nodes.places.push(...children(container, 'place'));
    nodes.transitions.push(...children(container, 'transition'));
    nodes.arcs.push(...children(container, 'arc'));
    for (const page of children(container, 'page')) visit(page, depth + 1);
  };
  visit(net, 0);
  return nodes;
}

type ReadPlace = PlaceInput & { readonly marking: number };

function readPlace(place: XmlNode, path: string): ReadPlace {
  const id = requiredAttribute(place, 'id', path);
  const name = textOf(child(place, 'name'));
  const marking = count(textOf(child(place, 'initialMarking')) ?? '0', `${path}.initialMarking`);
  const type = textOf(child(toolOf(place), 'type'))?.trim();
  if (type !== undefined && type !== 'start' && type !== 'normal' && type !== 'end') {
    throw new PnmlError(`place ${id} has an unknown type ${type}: start, normal or end`, `${path}.type`);
  }
  return { id, ...(name !== undefined && { name }), ...(type !== undefined && { type }), marking };
}

function readTransition(transition: XmlNode, path: string): TransitionInput {
  const id = requiredAttribute(transition, 'id', path);
  const name = textOf(child(transition, 'name'));
  const tool = toolOf(transition);
  const executor = textOf(child(tool, 'executor'))?.trim() || 'manual';
  const executorParams = jsonObject(tool, 'executorParams', `${path}.executorParams`);
  const joinType = kindOf(tool, 'joinType', `${path}.joinType`, isJoinType, joinTypes);
  const splitType = kindOf(tool, 'splitType', `${path}.splitType`, isSplitType, splitTypes);
  // Checked as the JSON body's are (the same DTOs): here only read as JSON objects.
  const timeouts = jsonObject(tool, 'timeouts', `${path}.timeouts`);
  const retry = jsonObject(tool, 'retry', `${path}.retry`);
  const assignment = jsonObject(tool, 'assignment', `${path}.assignment`);
  const separateFrom = jsonOf(tool, 'separateFrom', `${path}.separateFrom`);
  const outputSchema = jsonObject(tool, 'outputSchema', `${path}.outputSchema`);
  const orJoin = child(tool, 'orJoin');
  const orJoinSplit = textOf(child(orJoin, 'split'))?.trim();
  if (orJoin !== undefined && !orJoinSplit) {
    throw new PnmlError(`transition ${id} has an orJoin without a split`, `${path}.orJoin.split`);
  }
  return {
    id,
    ...(name !== undefined && { name }),
    executor,
    ...(executorParams && { executorParams }),
    ...(joinType && { joinType }),
    ...(splitType && { splitType }),
    ...(orJoinSplit && { orJoin: { split: orJoinSplit } }),
    ...(timeouts && { timeouts }),
    ...(retry && { retry }),
    // The domain's net rules check what these hold, as for a JSON body.
    ...(assignment && { assignment }),
    ...(separateFrom !== undefined && { separateFrom: separateFrom as string[] }),
    ...(outputSchema && { outputSchema }),
  };
}

function readArc(arc: XmlNode, path: string): ArcInput {
  const from = requiredAttribute(arc, 'source', path);
  const to = requiredAttribute(arc, 'target', path);
  const inscription = textOf(child(arc, 'inscription'));
  if (inscription !== undefined && count(inscription, `${path}.inscription`) !== 1) {
    throw new PnmlError(
      `arc ${from} → ${to} has weight ${inscription.trim()}: a workflow net's arcs have weight 1`,
      `${path}.inscription`,
    );
  }
  const tool = toolOf(arc);
  // A condition is kept as written: its spaces and line breaks are part of the source.
  const condition = textOf(child(tool, 'condition'));
  const mark = textOf(child(tool, 'default'))?.trim();
  if (mark !== undefined && mark !== 'true' && mark !== 'false') {
    throw new PnmlError(`arc ${from} → ${to} has default ${mark}: true or false`, `${path}.default`);
  }
  return {
    from,
    to,
    ...(condition !== undefined && { condition }),
    ...(mark === 'true' && { default: true }),
  };
}

/**
 * Without types from wfnet, the start place is the one marked place (PNML's initial marking) or else the
 * one place nothing enters, and the end place the one place nothing leaves. Validation reports the rest.
 */
function inferPlaceTypes(places: ReadPlace[], arcs: readonly { from: string; to: string }[]): void {
  places.forEach((place, i) => {
    if (place.marking > 0 && place.type !== undefined && place.type !== 'start') {
      throw new PnmlError(
        `place ${place.id} is marked but is not the start place: a case begins with one token in start`,
        `places[${i}].initialMarking`,
      );
    }
    if (place.marking > 1) {
      throw new PnmlError(
        `place ${place.id} starts with ${place.marking} tokens: a case begins with one token in start`,
        `places[${i}].initialMarking`,
      );
    }
  });
  if (places.some((p) => p.type !== undefined)) return;
  const only = (candidates: ReadPlace[]): ReadPlace | undefined =>
    candidates.length === 1 ? candidates[0] : undefined;
  const marked = places.filter((p) => p.marking > 0);
  if (marked.length > 1) {
    throw new PnmlError(`${marked.length} places are marked: a case begins with one token in start`);
  }
  const start = only(marked) ?? only(places.filter((p) => !arcs.some((a) => a.to === p.id)));
  const end = only(places.filter((p) => !arcs.some((a) => a.from === p.id)));
  places.forEach((place, i) => {
    const type = place === start ? 'start' : place === end ? 'end' : undefined;
    if (type) places[i] = { ...place, type };
  });
}

/** Without wfnet's join and split types, the P/T meaning of the arcs. */
function inferJoinAndSplit(
  transition: TransitionInput,
  arcs: readonly { from: string; to: string }[],
): TransitionInput {
  const inputs = arcs.filter((a) => a.to === transition.id).length;
  const outputs = arcs.filter((a) => a.from === transition.id).length;
  return {
    ...transition,
    joinType: transition.joinType ?? placeTransitionJoin(inputs),
    splitType: transition.splitType ?? placeTransitionSplit(outputs),
  };
}

function child(node: unknown, name: string): XmlNode | string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const value = (node as XmlNode)[name];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' || (typeof first === 'object' && first !== null)
    ? (first as XmlNode | string)
    : undefined;
}

function children(node: XmlNode | string, name: string): XmlNode[] {
  if (typeof node === 'string') return [];
  const value = node[name];
  const list: unknown[] = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((item) => (typeof item === 'object' && item !== null ? (item as XmlNode) : {}));
}

function attribute(node: XmlNode | string, name: string): string | undefined {
  if (typeof node === 'string') return undefined;
  const value = node[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

function requiredAttribute(node: XmlNode, name: string, path: string): string {
  const value = attribute(node, name);
  if (value === undefined || value === '') throw new PnmlError(`${path} has no ${name} attribute`, path);
  return value;
}

/** The text of a PNML label: `<name><text>…</text></name>`. */
function textOf(label: XmlNode | string | undefined): string | undefined {
  if (label === undefined) return undefined;
  if (typeof label === 'string') return label;
  const text = child(label, 'text');
  if (text === undefined) return typeof label['#text'] === 'string' ? label['#text'] : undefined;
  if (typeof text === 'string') return text;
  return typeof text['#text'] === 'string' ? text['#text'] : '';
}

/** The wfnet tool-specific part of a node, if any. */
function toolOf(node: XmlNode | string): XmlNode | undefined {
  return children(node, 'toolspecific').find((tool) => attribute(tool, 'tool') === PNML_TOOL);
}

function count(text: string, path: string): number {
  const trimmed = text.trim();
  if (!/^\d{1,9}$/.test(trimmed)) throw new PnmlError(`${path} is not a token count: ${trimmed}`, path);
  return Number(trimmed);
}

function kindOf<T extends string>(
  tool: XmlNode | undefined,
  tag: string,
  path: string,
  isKind: (value: string) => value is T,
  kinds: readonly T[],
): T | undefined {
  const value = textOf(child(tool, tag))?.trim();
  if (value === undefined) return undefined;
  if (!isKind(value)) throw new PnmlError(`${path} is ${value}: ${oneOf(kinds)}`, path);
  return value;
}

/** `a or b`, `a, b or c`. */
function oneOf(values: readonly string[]): string {
  return values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values.at(-1)}` : values.join('');
}

/** The JSON in the tag's text; undefined when the tag is absent. */
function jsonOf(tool: XmlNode | undefined, tag: string, path: string): JsonValue | undefined {
  const text = textOf(child(tool, tag));
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new PnmlError(`${path} is not JSON`, path);
  }
}

function jsonObject(
  tool: XmlNode | undefined,
  tag: string,
  path: string,
): { [key: string]: JsonValue } | undefined {
  const value = jsonOf(tool, tag, path);
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PnmlError(`${path} is not a JSON object`, path);
  }
  return value as { [key: string]: JsonValue };
}
