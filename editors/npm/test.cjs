#!/usr/bin/env node
// Installs the packed npm packages as a user would, with no Rust toolchain on PATH, and runs
// what the issue asks of every channel: `taskmark --version`, `check`, `lsp` and `mcp`. Both
// ways npm installs a command are tried: into a project (`npx taskmark`) and globally
// (`npm install -g`), offline, from the tarballs in OUT.
//
//   node editors/npm/test.cjs OUT EXAMPLE_WORKSPACE
"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawn, spawnSync } = require("node:child_process");

const [out, example] = process.argv.slice(2).map((it) => path.resolve(it));
const tarballs = fs.readdirSync(out).filter((it) => it.endsWith(".tgz")).map((it) => path.join(out, it));
assert.equal(tarballs.length, 2, `two tarballs in ${out}: ${tarballs}`);
// `taskmark-0.1.0.tgz`: the command's package says the version the binary must report.
const packageVersion = tarballs.map((it) => path.basename(it).match(/^taskmark-(\d[^-]*)\.tgz$/)).find(Boolean)?.[1];
assert.ok(packageVersion, `the taskmark package among ${tarballs}`);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "taskmark-npm-"));
const system = ["/usr/local/bin", "/usr/bin", "/bin"];
for (const tool of ["cargo", "rustc", "taskmark"]) {
  const found = system.find((dir) => fs.existsSync(path.join(dir, tool)));
  assert.equal(found, undefined, `${tool} is installed system-wide in ${found}: the test could not tell the package's own`);
}
const nodeDir = path.dirname(process.execPath);

function npm(args, cwd) {
  const run = spawnSync("npm", [...args, "--offline", "--no-audit", "--no-fund"], { cwd, encoding: "utf8" });
  assert.equal(run.status, 0, `npm ${args.join(" ")}: ${run.stdout}${run.stderr}`);
}

function environment(bin) {
  const env = { ...process.env, PATH: [bin, nodeDir, ...system].join(path.delimiter) };
  env.TASKMARK_RUNTIME_DIR = path.join(scratch, "run");
  env.TASKMARK_STATE_DIR = path.join(scratch, "state");
  delete env.TASKMARK_BIN;
  delete env.TASKMARK_BINARY;
  return env;
}

function lspMessage(body) {
  const text = JSON.stringify(body);
  return `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
}

// Speaks to `command args` over stdio until `done` says the answers are enough.
function converse(command, args, cwd, env, input, done) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env });
    let output = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${args.join(" ")}: no answer in 30 s; got ${output}`));
    }, 30000);
    child.stdout.on("data", (chunk) => {
      output += chunk;
      if (done(output)) {
        clearTimeout(timer);
        child.kill();
        resolve(output);
      }
    });
    child.on("error", reject);
    child.stdin.write(input);
  });
}

// Runs the checks from `home` (npx finds a project's command from the folders above).
async function exercise(label, bin, run, home) {
  const env = environment(bin);
  const version = spawnSync(run[0], [...run.slice(1), "--version"], { cwd: home, env, encoding: "utf8" });
  assert.equal(version.status, 0, `${label}: --version: ${version.stderr}`);
  assert.equal(version.stdout.trim(), `taskmark ${packageVersion}`);

  const workspace = path.join(home, "workspace");
  fs.cpSync(example, workspace, { recursive: true });
  const check = spawnSync(run[0], [...run.slice(1), "check", "--no-baseline"], { cwd: workspace, env, encoding: "utf8" });
  assert.equal(check.status, 1, `${label}: check: ${check.stdout}${check.stderr}`);
  assert.match(check.stdout, /3 errors/);

  const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { processId: null, rootUri: `file://${workspace}`, capabilities: {} } };
  const lsp = await converse(run[0], [...run.slice(1), "lsp", "--standalone"], workspace, env, lspMessage(initialize), (it) => it.includes('"serverInfo"'));
  assert.match(lsp, /"name":"taskmark"/, `${label}: lsp: ${lsp}`);

  const hello = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "npm-test", version: "1" } } };
  const listed = '{"jsonrpc":"2.0","method":"notifications/initialized"}\n{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n';
  const mcp = await converse(run[0], [...run.slice(1), "mcp", "--no-daemon"], workspace, env, `${JSON.stringify(hello)}\n${listed}`, (it) => it.includes('"set_status"'));
  assert.match(mcp, /"list_tasks"/, `${label}: mcp: ${mcp}`);
  console.log(`ok ${label}: --version, check, lsp and mcp`);
}

(async () => {
  // Into a project: `npx taskmark` runs node_modules/.bin/taskmark.
  const project = path.join(scratch, "project");
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, "package.json"), '{"name": "project", "private": true}\n');
  npm(["install", ...tarballs], project);
  await exercise("npx in a project", path.join(project, "node_modules", ".bin"), ["npx", "--no-install", "taskmark"], project);

  // Globally: `npm install -g taskmark` puts `taskmark` on PATH.
  const prefix = path.join(scratch, "global");
  npm(["install", "-g", "--prefix", prefix, ...tarballs], scratch);
  const elsewhere = path.join(scratch, "elsewhere");
  fs.mkdirSync(elsewhere);
  await exercise("npm install -g", path.join(prefix, "bin"), ["taskmark"], elsewhere);

  // Without its platform's package (npm --omit=optional, or no build for this platform): said
  // plainly, exit 2, never a stack trace.
  const bare = path.join(scratch, "bare");
  fs.mkdirSync(bare);
  fs.writeFileSync(path.join(bare, "package.json"), '{"name": "bare", "private": true}\n');
  npm(["install", tarballs.find((it) => /[/]taskmark-\d/.test(it))], bare);
  const missing = spawnSync(path.join(bare, "node_modules", ".bin", "taskmark"), ["--version"], { env: environment(bare), encoding: "utf8" });
  assert.equal(missing.status, 2, missing.stderr);
  assert.match(missing.stderr, /no binary for .*@taskmark\/cli-/);
  console.log("ok without the platform's package: a plain error, exit 2");

  fs.rmSync(scratch, { recursive: true, force: true });
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
