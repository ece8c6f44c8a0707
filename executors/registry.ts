// Which executor runs which action type: executors registered by name, bindings from the
// service config resolved by action, environment and resource (first match wins), and a start-up
// check of those bindings.
import type { ActionBinding, ServiceConfig } from '../config/types.js';
import { matchesGlob } from '../policy/glob.js';
import { expectedResource, type Placement, placementOf, resourceMatches } from './placement.js';
import type { Executor } from './types.js';

export interface ResolvedExecutor {
  executor: Executor;
  /** The target name from the binding (look it up in `config.targets`). */
  target: string | undefined;
  binding: ActionBinding;
}

/** What a submitted request says about where it runs; the binding must agree with every part. */
export interface BindingClaims {
  action: string;
  environment: string;
  resource: string;
  parameters: Record<string, unknown>;
}

/** Why no binding takes the request, naming the request field that disagrees. */
export interface BindingRefusal {
  field: 'action' | 'environment' | 'resource';
  detail: string;
}

export type BindingVerdict = ({ ok: true } & ResolvedExecutor) | ({ ok: false } & BindingRefusal);

export class ExecutorRegistry {
  readonly #executors = new Map<string, Executor>();

  /** Adds an executor; a second executor with the same name is a programming error. */
  register(executor: Executor): this {
    if (this.#executors.has(executor.name))
      throw new Error(`executor ${executor.name} is already registered`);
    this.#executors.set(executor.name, executor);
    return this;
  }

  get(name: string): Executor | undefined {
    return this.#executors.get(name);
  }

  names(): string[] {
    return [...this.#executors.keys()];
  }

  /**
   * How a request runs is the action's: the first binding whose glob covers it decides the
   * executor. Where it runs is its claims': among that executor's bindings for the action, the
   * first that serves the environment and holds the resource decides the target. A request that
   * fits none is refused, naming the field (environment first, then resource) and what the
   * bindings are. An unknown executor refuses the request too (checkConfig reports it at start-up).
   */
  bind(claims: BindingClaims, config: Pick<ServiceConfig, 'actions' | 'targets'>): BindingVerdict {
    const forAction = config.actions.filter((b) => matchesGlob(b.match, claims.action));
    const first = forAction[0];
    const executor = first === undefined ? undefined : this.#executors.get(first.executor);
    if (first === undefined || executor === undefined) {
      return {
        ok: false,
        field: 'action',
        detail: `no executor is configured for action type ${claims.action}`,
      };
    }
    const placed = forAction
      .filter((b) => b.executor === first.executor)
      .flatMap((binding) => {
        const placement = placementOf(binding, config.targets);
        return placement === undefined ? [] : [{ binding, placement }];
      });
    if (placed.length === 0) {
      return {
        ok: false,
        field: 'action',
        detail: `no target is configured for action type ${claims.action}`,
      };
    }
    const inEnvironment = placed.filter((p) => p.placement.environments.includes(claims.environment));
    if (inEnvironment.length === 0) {
      const where = placed.map((p) => `${p.placement.holder} in ${p.placement.environments.join(', ')}`);
      return {
        ok: false,
        field: 'environment',
        detail: `${claims.action} does not run in ${claims.environment}: it runs on ${unique(where).join('; ')}`,
      };
    }
    const holding = inEnvironment.find((p) =>
      p.placement.resources.some((r) => resourceMatches(r, claims.resource, claims.parameters)),
    );
    if (holding === undefined) {
      const held = inEnvironment.map(
        (p) => `${p.placement.holder} holds ${heldText(p.placement, claims.parameters)}`,
      );
      return {
        ok: false,
        field: 'resource',
        detail: `${claims.resource} is not a resource of ${claims.action} in ${claims.environment}: ${unique(held).join('; ')}`,
      };
    }
    return { ok: true, executor, target: holding.binding.target, binding: holding.binding };
  }

  /** Problems with the action bindings, each naming the binding; empty when all is well. */
  checkConfig(config: ServiceConfig): string[] {
    const problems: string[] = [];
    config.actions.forEach((b, i) => {
      const where = `actions[${i}] (match "${b.match}")`;
      if (b.match.length === 0) problems.push(`${where}: match is empty`);
      const executor = this.#executors.get(b.executor);
      if (executor === undefined) {
        const known = this.names().join(', ');
        problems.push(`${where}: unknown executor "${b.executor}" (known: ${known})`);
        return;
      }
      if (b.target === undefined) {
        if (executor.targetType !== undefined)
          problems.push(`${where}: executor ${executor.name} needs a target of type ${executor.targetType}`);
        else if ((b.environments ?? []).length === 0)
          problems.push(`${where}: a binding without a target must name the environments it serves`);
        return;
      }
      const target = Object.hasOwn(config.targets, b.target) ? config.targets[b.target] : undefined;
      if (target === undefined) {
        problems.push(`${where}: unknown target "${b.target}"`);
      } else if (executor.targetType === undefined) {
        problems.push(`${where}: executor ${executor.name} takes no target, but "${b.target}" is named`);
      } else if (target.type !== executor.targetType) {
        problems.push(
          `${where}: target "${b.target}" is of type ${target.type}, executor ${executor.name} needs ${executor.targetType}`,
        );
      }
    });
    return problems;
  }
}

const unique = (lines: string[]) => [...new Set(lines)];

/** `a, b` or, where the parameters fill a pattern in, `api:{path} (here: api:/config)`. */
function heldText(placement: Placement, parameters: Record<string, unknown>): string {
  return placement.resources
    .map((r) => {
      const expected = expectedResource(r, parameters);
      return expected === undefined ? r : `${r} (here: ${expected})`;
    })
    .join(', ');
}
