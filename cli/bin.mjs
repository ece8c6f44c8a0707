#!/usr/bin/env node
// The package's `airlock` binary: loads cli/airlock.ts through tsx (a dependency), so `npx airlock`
// works from a checkout and from the installed package without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./airlock.ts');
await main();
