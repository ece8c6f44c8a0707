// Reads a policy file: YAML -> schema -> compiled rules, with every problem reported as one
// PolicyLoadError naming the file, rule and field. The version is the SHA-256 of the exact content.

import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { sha256Hex } from '../lib/sha256.js';
import { collectionKeyOffsets } from '../lib/yaml-keys.js';
import { compilePolicy, type LoadedPolicy } from './compile.js';
import { formatPath, type PolicyIssue, PolicyLoadError } from './errors.js';
import { PolicySchema } from './schema.js';

export type { LoadedPolicy } from './compile.js';
export { PolicyLoadError } from './errors.js';

export async function loadPolicyFile(path: string): Promise<LoadedPolicy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PolicyLoadError(path, [{ path: '', message: `cannot read: ${(error as Error).message}` }]);
  }
  return parsePolicy(text, path);
}

export function policyVersion(text: string): string {
  return sha256Hex(text);
}

/** Parses policy text; `sourceName` is used in error messages and LoadedPolicy.source. */
export function parsePolicy(text: string, sourceName: string): LoadedPolicy {
  const raw = parseYaml(text, sourceName);
  const parsed = PolicySchema.safeParse(raw, {
    error: (iss) => (iss.input === undefined ? 'is required' : undefined),
  });
  if (!parsed.success)
    throw new PolicyLoadError(
      sourceName,
      parsed.error.issues.flatMap((i) => toIssues(i, raw)),
    );
  const compiled = compilePolicy(parsed.data, { source: sourceName, version: policyVersion(text) });
  if (!compiled.ok) {
    const issues = compiled.issues.map((issue) => ({
      path: formatPath(issue.path, raw),
      message: issue.message,
    }));
    throw new PolicyLoadError(sourceName, issues);
  }
  return compiled.policy;
}

function parseYaml(text: string, sourceName: string): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new PolicyLoadError(
      sourceName,
      doc.errors.map((error) => {
        const where = error.linePos?.[0];
        const summary = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        const at = where ? ` at line ${where.line}, column ${where.col}` : '';
        return { path: '', message: `YAML syntax error${at}: ${summary}` };
      }),
    );
  }
  const collectionKeys = collectionKeyOffsets(doc);
  if (collectionKeys.length > 0) {
    throw new PolicyLoadError(
      sourceName,
      collectionKeys.map((offset) => {
        const { line, col } = lines.linePos(offset);
        return {
          path: '',
          message: `a mapping key must be a plain value, not a list or a mapping (line ${line}, column ${col})`,
        };
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // An alias without its anchor (`*x`), or one that expands too much, is found only here.
    throw new PolicyLoadError(sourceName, [{ path: '', message: `YAML error: ${(error as Error).message}` }]);
  }
  if (raw === null || raw === undefined) {
    throw new PolicyLoadError(sourceName, [
      { path: '', message: 'the file is empty (expected a policy with version: 1)' },
    ]);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    const got = Array.isArray(raw) ? 'a list' : typeof raw;
    throw new PolicyLoadError(sourceName, [
      { path: '', message: `the policy must be a YAML mapping, got ${got}` },
    ]);
  }
  return raw;
}

function toIssues(issue: z.core.$ZodIssue, raw: unknown): PolicyIssue[] {
  const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatPath([...path, key], raw), message: 'unknown field' }));
  }
  return [{ path: formatPath(path, raw), message: issue.message }];
}
