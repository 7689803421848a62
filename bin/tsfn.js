#!/usr/bin/env node
import { main } from '../dist/tsfn.js';

process.exitCode = await main(process.argv.slice(2));
