#!/usr/bin/env node
// The `taskmark` command of the npm package: runs the binary of this platform's package
// (`@taskmark/cli-linux-x64`, ...), an optional dependency npm installs only where its `os` and
// `cpu` match, as biome and esbuild ship theirs: nothing is downloaded at install time.
"use strict";

const { spawnSync } = require("node:child_process");
const path = require("node:path");

const platform = `${process.platform}-${process.arch}`;
const executable = process.platform === "win32" ? "taskmark.exe" : "taskmark";

function binary() {
  // An explicit binary wins (a build of one's own, a test).
  if (process.env.TASKMARK_BINARY) {
    return process.env.TASKMARK_BINARY;
  }
  try {
    return require.resolve(`@taskmark/cli-${platform}/bin/${executable}`);
  } catch {
    return null;
  }
}

const found = binary();
if (!found) {
  console.error(
    `taskmark: no binary for ${platform}: the package @taskmark/cli-${platform} is not installed. ` +
      "npm skips optional dependencies with --omit=optional or --no-optional; install again without it, " +
      "or install taskmark another way (pipx install taskmark, cargo install)."
  );
  process.exit(2);
}

const run = spawnSync(found, process.argv.slice(2), { stdio: "inherit" });
if (run.error) {
  console.error(`taskmark: cannot run ${path.basename(found)} (${found}): ${run.error.message}`);
  process.exit(2);
}
if (run.signal) {
  // Die of the same signal, as the binary did, so that callers see it.
  process.kill(process.pid, run.signal);
}
process.exit(run.status ?? 2);
