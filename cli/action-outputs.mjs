// The GitHub Action's outputs from the CLI's final state (action.yml): id, status and, in gate
// mode, the approval token, masked in the job's log first. Nothing to read: no outputs.
import { appendFileSync, readFileSync } from 'node:fs';

let state;
try {
  state = JSON.parse(readFileSync(process.argv[2], 'utf8'));
} catch {
  process.exit(0);
}
// Workflow commands are read from the step's stdout; the outputs go to the file GITHUB_OUTPUT names.
if (state.approvalToken) process.stdout.write(`::add-mask::${state.approvalToken}\n`);
const output = process.env.GITHUB_OUTPUT;
for (const [name, value] of [
  ['id', state.id],
  ['status', state.status],
  ['approval-token', state.approvalToken],
])
  if (output && typeof value === 'string') appendFileSync(output, `${name}=${value}\n`);
