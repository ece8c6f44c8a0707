// Prints the fault suite's closing table: each case, how many runs (tests, or property runs where
// a test reports them through `reportRuns`), failures and time.
import type { Reporter, TestModule } from 'vitest/node';

declare module 'vitest' {
  interface TaskMeta {
    /** Property runs (fast-check numRuns actually executed) a test reports; 1 otherwise. */
    runs?: number;
    /** Runs that failed, when a test reports them (a failed property stops at its first). */
    failedRuns?: number;
  }
}

export default class FaultTableReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const rows: string[][] = [['case', 'test', 'runs', 'failures', 'result', 'seconds']];
    let failures = 0;
    let runs = 0;
    for (const mod of testModules) {
      const file = mod.moduleId.split('/').pop() ?? mod.moduleId;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'failed') failures++;
        const ms = test.diagnostic()?.duration ?? 0;
        const meta = test.meta();
        const n = meta.runs ?? 1;
        runs += n;
        const failed = meta.failedRuns ?? (state === 'failed' ? 1 : 0);
        const result = test.options.fails && state === 'passed' ? 'expected failure (known gap)' : state;
        rows.push([
          file.replace(/\.test\.ts$/, ''),
          test.name,
          String(n),
          String(failed),
          result,
          (ms / 1000).toFixed(1),
        ]);
      }
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
    const out = [
      line(rows[0]!),
      `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
      ...rows.slice(1).map(line),
    ];
    process.stdout.write(
      `\nFault suite: ${rows.length - 1} cases run (${runs} runs), ${failures} failed\n${out.join('\n')}\n`,
    );
  }
}
