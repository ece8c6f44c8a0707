// A request from the command line: a JSON file (`--file`), then the flags on top of it. Every
// mistake names the flag or the file and field, and is exit code 2.
import { readFileSync } from 'node:fs';
import type { ActionRequest } from '../sdk/index.js';
import { usageError } from './exit-codes.js';

export interface RequestFlags {
  file?: string;
  action?: string;
  resource?: string;
  environment?: string;
  justification?: string;
  parameters?: string;
  param?: string[];
  label?: string[];
  idempotencyKey?: string;
  callbackUrl?: string;
  onBehalfOf?: string;
  breakGlass?: string;
}

const FIELDS = new Set([
  'action',
  'resource',
  'environment',
  'parameters',
  'justification',
  'agent',
  'diff',
  'labels',
  'callbackUrl',
  'idempotencyKey',
  'breakGlass',
]);

function readRequestFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw usageError(`--file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw usageError(`--file ${path}: not JSON (${err instanceof Error ? err.message : err})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw usageError(`--file ${path}: must hold one JSON object, the request`);
  for (const key of Object.keys(value))
    if (!FIELDS.has(key)) throw usageError(`--file ${path}: unknown field "${key}"`);
  return value as Record<string, unknown>;
}

/** `key=value`: the value as JSON when it reads as JSON (numbers, booleans, objects), else as text. */
function keyValue(flag: string, entry: string): [string, unknown] {
  const at = entry.indexOf('=');
  if (at < 1) throw usageError(`${flag} must be key=value, not "${entry}"`);
  const raw = entry.slice(at + 1);
  try {
    return [entry.slice(0, at), JSON.parse(raw)];
  } catch {
    return [entry.slice(0, at), raw];
  }
}

function jsonObject(flag: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw usageError(`${flag} is not JSON (${err instanceof Error ? err.message : err})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw usageError(`${flag} must be a JSON object`);
  return value as Record<string, unknown>;
}

function text(field: string, value: unknown, from: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw usageError(`${from}: "${field}" must be a string`);
  return value;
}

/** The request the flags (over the file) describe; `parameters` replaces what `--file` had. */
export function requestFrom(flags: RequestFlags, defaults: { parameters?: Record<string, unknown> } = {}) {
  const file = flags.file ? readRequestFile(flags.file) : {};
  const from = flags.file ? `--file ${flags.file}` : 'the request';
  const request: Record<string, unknown> = { ...file };
  const put = (field: string, value: unknown) => {
    if (value !== undefined) request[field] = value;
  };
  put('action', flags.action);
  put('resource', flags.resource);
  put('environment', flags.environment);
  put('justification', flags.justification);
  put('idempotencyKey', flags.idempotencyKey);
  put('callbackUrl', flags.callbackUrl);
  if (flags.breakGlass !== undefined) request.breakGlass = { reason: flags.breakGlass };
  if (flags.onBehalfOf !== undefined)
    request.agent = { ...(request.agent as object | undefined), onBehalfOf: flags.onBehalfOf };
  if (flags.parameters !== undefined) request.parameters = jsonObject('--parameters', flags.parameters);
  if (defaults.parameters) request.parameters = defaults.parameters;
  if (flags.param?.length) {
    const base = (request.parameters as Record<string, unknown> | undefined) ?? {};
    request.parameters = { ...base, ...Object.fromEntries(flags.param.map((p) => keyValue('--param', p))) };
  }
  if (flags.label?.length) {
    const labels = Object.fromEntries(
      flags.label.map((l) => keyValue('--label', l)).map(([k, v]) => [k, String(v)]),
    );
    request.labels = { ...(request.labels as object | undefined), ...labels };
  }
  request.parameters ??= {};
  for (const field of ['action', 'resource', 'environment'] as const) {
    if (request[field] === undefined) throw usageError(`--${field} is required (or "${field}" in --file)`);
    text(field, request[field], from);
  }
  return request as ActionRequest;
}
