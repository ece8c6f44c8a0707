// Which executor runs which action type: executors registered by name, bindings from the
// service config resolved by glob (first match wins), and a start-up check of those bindings.
import type { ActionBinding, ServiceConfig } from '../config/types.js';
import { matchesGlob } from '../policy/glob.js';
import type { Executor } from './types.js';

export interface ResolvedExecutor {
  executor: Executor;
  /** The target name from the binding (look it up in `config.targets`). */
  target: string | undefined;
  binding: ActionBinding;
}

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
   * The first binding whose glob matches decides. If it names an unknown executor the result
   * is undefined (checkConfig reports that at start-up); later bindings are not consulted.
   */
  resolve(actionType: string, bindings: ActionBinding[]): ResolvedExecutor | undefined {
    const binding = bindings.find((b) => matchesGlob(b.match, actionType));
    if (binding === undefined) return undefined;
    const executor = this.#executors.get(binding.executor);
    return executor === undefined ? undefined : { executor, target: binding.target, binding };
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
