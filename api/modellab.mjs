#!/usr/bin/env node
// The `modellab` command (package.json "bin"): plain Node registers tsx's loader, then runs the TypeScript CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
// Exit explicitly: fetch's idle keep-alive sockets would otherwise hold the process open for seconds
// (stdout and stderr are synchronous for files and pipes on Linux, so nothing printed is lost).
process.exit(await main(process.argv.slice(2)));
