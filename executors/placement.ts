// Where a binding runs: the environment and the resources of its target (or, for a binding
// without one, those it declares). A request's `environment` and `resource` are held to these,
// so that what the policy decides on is what will run.
import { parseResourcePattern } from '../config/resource-pattern.js';
import type { ActionBinding, Target } from '../config/types.js';
import { globSource, literalSource } from '../policy/glob.js';
import type { ExecutionBinding } from '../workflows/types.js';

export interface Placement {
  environments: string[];
  resources: string[];
  /** How a refusal names it: `target "admin-api"` or `the gate binding for "deploy.*"`. */
  holder: string;
}

/** The binding's placement, or undefined when its target is not configured. */
export function placementOf(binding: ActionBinding, targets: Record<string, Target>): Placement | undefined {
  if (binding.target !== undefined) {
    const target = Object.hasOwn(targets, binding.target) ? targets[binding.target] : undefined;
    if (target === undefined) return undefined;
    return {
      environments: [target.environment],
      resources: target.resources,
      holder: `target "${binding.target}"`,
    };
  }
  return {
    environments: binding.environments ?? [],
    resources: binding.resources ?? [],
    holder: `the ${binding.executor} binding for "${binding.match}"`,
  };
}

/** A parameter as it stands in a resource: strings and finite numbers only. */
function parameterText(parameters: Record<string, unknown>, name: string): string | undefined {
  const value = Object.hasOwn(parameters, name) ? parameters[name] : undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Whether `resource` is one the pattern names, with `{name}` filled from the parameters. */
export function resourceMatches(
  pattern: string,
  resource: string,
  parameters: Record<string, unknown>,
): boolean {
  const parsed = parseResourcePattern(pattern);
  if ('problem' in parsed) return false;
  let source = '';
  for (const part of parsed.parts) {
    if ('glob' in part) {
      source += globSource(part.glob);
      continue;
    }
    const value = parameterText(parameters, part.parameter);
    if (value === undefined) return false;
    source += literalSource(value);
  }
  return new RegExp(`^${source}$`, 'su').test(resource);
}

/** The pattern with its parameters filled in, when it has some and every one is there (for a refusal's text). */
export function expectedResource(pattern: string, parameters: Record<string, unknown>): string | undefined {
  const parsed = parseResourcePattern(pattern);
  if ('problem' in parsed || parsed.parts.every((p) => 'glob' in p)) return undefined;
  return fillParameters(pattern, parameters);
}

/** The pattern with each `{name}` replaced by `parameters.name`; undefined when one is missing. */
export function fillParameters(pattern: string, parameters: Record<string, unknown>): string | undefined {
  const parsed = parseResourcePattern(pattern);
  if ('problem' in parsed) return undefined;
  let text = '';
  for (const part of parsed.parts) {
    const value = 'glob' in part ? part.glob : parameterText(parameters, part.parameter);
    if (value === undefined) return undefined;
    text += value;
  }
  return text;
}

/**
 * The execution binding as submit makes it: besides executor and target, the environment and
 * resource the decision was about, so that the worker checks them again against the target as
 * configured when it runs (a target moved to another environment since then runs nothing).
 */
export interface PlacedBinding extends ExecutionBinding {
  environment: string;
  resource: string;
}

/** Why this binding may not run on its target now, or undefined when it may. */
export function placementDrift(
  binding: ExecutionBinding & Partial<PlacedBinding>,
  target: Target,
  parameters: Record<string, unknown>,
): string | undefined {
  const { environment, resource } = binding;
  if (environment === undefined || resource === undefined)
    return `the request was bound to target ${binding.target} without its environment and resource; submit it again`;
  if (environment !== target.environment)
    return `target ${binding.target} is in ${target.environment}, the request was decided for ${environment}`;
  if (!target.resources.some((r) => resourceMatches(r, resource, parameters)))
    return `target ${binding.target} no longer holds ${resource}`;
  return undefined;
}
