// Airlock's TypeScript SDK: the typed client and its errors (framework guards: sdk/guards/).
export * from './client.js';
export type { components, operations, paths } from './openapi.js';
export { AirlockProblem, AirlockUnreachable, type ProblemBody } from './problem.js';
