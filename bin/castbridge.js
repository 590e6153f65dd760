#!/usr/bin/env node
// Entry point of the `castbridge` command. The host is TypeScript run through tsx's loader, so there is
// no separate build step between `npm install` and a working command.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src-main/cli.ts');
process.exitCode = await main(process.argv.slice(2));
