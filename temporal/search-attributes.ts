// Registers Airlock's search attributes on a Temporal cluster that lacks them (the dev server
// gets them from its command line; a real cluster gets them here, once, at start-up).
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_TYPES } from '../workflows/search-attributes.js';

// CommonJS package: named imports do not resolve under plain Node ESM.
const INDEXED = proto.temporal.api.enums.v1.IndexedValueType;

export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.entries(SEARCH_ATTRIBUTE_TYPES).filter(([name]) => !known.has(name));
  if (missing.length === 0) return [];
  const searchAttributes: Record<string, number> = {};
  for (const [name, type] of missing) {
    searchAttributes[name] =
      type === 'KeywordList' ? INDEXED.INDEXED_VALUE_TYPE_KEYWORD_LIST : INDEXED.INDEXED_VALUE_TYPE_KEYWORD;
  }
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  return missing.map(([name]) => name);
}
