// Mapping keys that are lists or mappings (`[a]: 1`, `? {b: 1}`): YAML allows them, JSON has no
// such keys, and the yaml package would stringify them with a process warning. Both config
// loaders refuse them instead, naming where they are.
import { type Document, isCollection, visit } from 'yaml';

/** Source offsets of every mapping key that is a collection. */
export function collectionKeyOffsets(doc: Document): number[] {
  const offsets: number[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (isCollection(pair.key)) offsets.push(pair.key.range?.[0] ?? 0);
    },
  });
  return offsets;
}
