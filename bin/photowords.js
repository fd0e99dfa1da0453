#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the command always matches the sources (no stale build).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
