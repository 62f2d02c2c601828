import { LineCounter, isMap, isNode, isSeq, parseDocument, type Node } from 'yaml';
import { FhirError } from '../errors/fhir-error';

/** A position inside a mapping document: keys and array indexes from the root. */
export type DocPath = ReadonlyArray<string | number>;

/** 1-based line of the node at `path` (or of its nearest existing ancestor); undefined when unknown. */
export type LineLookup = (path: DocPath) => number | undefined;

export interface ParsedMappingText {
  /** The plain JSON value of the document. */
  readonly doc: unknown;
  readonly lines: LineLookup;
}

/** Stable code of every mapping-definition error (bad YAML, schema, paths, units, duplicate ids). */
export const ERR_MAPPING_INVALID = 'ERR_MAPPING_INVALID';

/**
 * Parse mapping text (YAML 1.2; JSON is a subset and parses the same way) keeping node positions, so that
 * compile errors can name the line. Pure: the caller reads the file.
 * @throws FhirError `ERR_MAPPING_INVALID` whose message is `<source>:<line>: <reason>`.
 * @example const { doc, lines } = parseMappingText(text, 'mappings/bp-cuff/mapping.yaml');
 */
export function parseMappingText(text: string, source: string): ParsedMappingText {
  const counter = new LineCounter();
  // uniqueKeys (default) rejects duplicate keys; maxAliasCount (toJS) bounds alias expansion ("billion laughs").
  const document = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  const first = document.errors[0];
  if (first) {
    const line = counter.linePos(first.pos[0]).line;
    throw mappingError(source, line, first.message.split('\n')[0] ?? first.message);
  }
  let doc: unknown;
  try {
    doc = document.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw mappingError(source, undefined, e instanceof Error ? e.message : String(e));
  }
  const lines: LineLookup = (path) => {
    const node = nodeAt(document.contents, path);
    return node?.range ? counter.linePos(node.range[0]).line : undefined;
  };
  return { doc, lines };
}

/** The deepest node along `path` (so a missing key reports its parent's line). */
function nodeAt(root: unknown, path: DocPath): Node | undefined {
  let node: unknown = root;
  let found: Node | undefined = isNode(root) ? root : undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isNode(p.key) ? (p.key as { value?: unknown }).value : p.key) === key);
      if (!pair) break;
      // Point at the value, or at the key when the value is empty (`unit:` with nothing after it).
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
    } else break;
    if (!isNode(node)) break;
    found = node;
  }
  return found;
}

/** A definition error naming file and line: `<source>:<line>: <reason>`; `where` becomes the issue expression. */
export function mappingError(source: string, line: number | undefined, reason: string, where?: string): FhirError {
  const text = `${source}${line === undefined ? '' : `:${line}`}: ${reason}`;
  return FhirError.of(ERR_MAPPING_INVALID, { code: 'invalid', text, expression: where });
}
