#!/usr/bin/env node
// Committed launcher (with its exec bit) so `npx cft-bench` works after `tsc`, which
// writes dist/ files without the exec bit.
import '../dist/cli/main.js';
