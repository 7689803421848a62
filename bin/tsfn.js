#!/usr/bin/env node
import '../dist/tsfn.js';
