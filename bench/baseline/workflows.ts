// The benchmark's floor: a bare Temporal workflow with one no-op activity.
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30s' });

export async function baseline(): Promise<void> {
  await noop();
}
