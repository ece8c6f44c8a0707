// Which executor and target a submitted request will run on, decided before anything starts: the
// binding must serve the request's action, environment and resource, and the executor must accept
// the parameters against that very target. A claim that disagrees is the caller's mistake (400).
import type { PlacedBinding } from '../executors/placement.js';
import type { ActionRequestBody } from '../workflows/types.js';
import type { ApiDeps } from './deps.js';
import { PROBLEM, ProblemError } from './problem.js';

export function bindExecution(
  deps: Pick<ApiDeps, 'executors' | 'config'>,
  body: ActionRequestBody,
): PlacedBinding {
  const verdict = deps.executors.bind(body, deps.config);
  if (!verdict.ok) {
    const unknownAction = verdict.field === 'action';
    throw new ProblemError({
      status: 400,
      type: unknownAction ? PROBLEM.unknownAction : PROBLEM.targetMismatch,
      title: unknownAction ? 'Unknown action type' : `No target for this ${verdict.field}`,
      detail: verdict.detail,
      field: verdict.field,
    });
  }
  // Checked against the very target it will run on, so that what can never run as approved
  // (a header the target holds, say) is refused before anyone is asked to approve it.
  const target =
    verdict.target !== undefined && Object.hasOwn(deps.config.targets, verdict.target)
      ? deps.config.targets[verdict.target]
      : undefined;
  const problems = verdict.executor.validate?.(body.parameters, target) ?? [];
  if (problems.length > 0) {
    throw new ProblemError({
      status: 400,
      type: PROBLEM.invalidBody,
      title: 'Invalid parameters',
      detail: `parameters are not valid for ${verdict.executor.name}: ${problems.join('; ')}`,
      field: 'parameters',
      errors: problems.map((p) => ({ field: 'parameters', detail: p })),
    });
  }
  const placement = {
    mode: verdict.executor.mode ?? 'once',
    environment: body.environment,
    resource: body.resource,
  } as const;
  return verdict.target === undefined
    ? { executor: verdict.executor.name, ...placement }
    : { executor: verdict.executor.name, target: verdict.target, ...placement };
}
