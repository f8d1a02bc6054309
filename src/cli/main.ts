#!/usr/bin/env node
/** The `vmm-actors` command. Each subcommand lives in commands/<name>.ts; exit codes: exit-code.ts. */
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv);
