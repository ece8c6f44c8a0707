// The workflow bundle's entry: every workflow the worker registers.
export { actionRequest } from './action-request.js';
export { historyArchiver } from './history-archiver.js';
