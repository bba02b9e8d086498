#!/usr/bin/env node
// Builds the npm packages of taskmark from a binary: `taskmark` (the command, which runs the
// binary of the platform it is installed on) and `@taskmark/cli-<platform>` (the binary, with
// `os` and `cpu` so that npm installs only the matching one), each packed as a tarball.
//
//   node editors/npm/build.cjs --binary target/release/taskmark --out dist/npm [--platform linux-x64]
//
// The release workflow runs it once per platform (the `taskmark` package is the same each time);
// editors/npm/ci.sh runs it on the binary under test.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");

// Every platform a release builds: the command lists them all as optional dependencies.
const PLATFORMS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64"];

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at >= 0 && process.argv[at + 1]) return process.argv[at + 1];
  if (fallback !== undefined) return fallback;
  console.error(`build.cjs: --${name} is required`);
  process.exit(2);
}

const here = __dirname;
const repo = path.resolve(here, "../..");
const binary = path.resolve(option("binary"));
const out = path.resolve(option("out"));
const platform = option("platform", `${process.platform}-${process.arch}`);
if (!PLATFORMS.includes(platform)) {
  console.error(`build.cjs: unknown platform ${platform}; the platforms are ${PLATFORMS.join(", ")}`);
  process.exit(2);
}
// The version is the command line crate's (server/cli/Cargo.toml), so every channel ships one
// number: `taskmark --version` says it too.
const cargo = fs.readFileSync(path.join(repo, "server", "cli", "Cargo.toml"), "utf8");
const version = option("version", (cargo.match(/^version\s*=\s*"([^"]+)"/m) || [])[1]);
if (!version) {
  console.error("build.cjs: no version in server/cli/Cargo.toml");
  process.exit(2);
}
if (!fs.statSync(binary, { throwIfNoEntry: false })?.isFile()) {
  console.error(`build.cjs: ${binary} is not a file`);
  process.exit(2);
}

function writeJson(file, value) {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function pack(folder) {
  const name = execFileSync("npm", ["pack", "--pack-destination", out, "--silent"], { cwd: folder, encoding: "utf8" });
  return path.join(out, name.trim().split("\n").pop());
}

fs.mkdirSync(out, { recursive: true });
const staging = fs.mkdtempSync(path.join(out, ".staging-"));

// The command.
const command = path.join(staging, "taskmark");
fs.cpSync(path.join(here, "taskmark"), command, { recursive: true });
const manifest = JSON.parse(fs.readFileSync(path.join(command, "package.json"), "utf8"));
manifest.version = version;
manifest.optionalDependencies = Object.fromEntries(PLATFORMS.map((it) => [`@taskmark/cli-${it}`, version]));
writeJson(path.join(command, "package.json"), manifest);
fs.chmodSync(path.join(command, "bin", "taskmark.js"), 0o755);

// The binary of this platform.
const [os, cpu] = platform.split("-");
const executable = os === "win32" ? "taskmark.exe" : "taskmark";
const native = path.join(staging, `cli-${platform}`);
fs.mkdirSync(path.join(native, "bin"), { recursive: true });
fs.copyFileSync(binary, path.join(native, "bin", executable));
fs.chmodSync(path.join(native, "bin", executable), 0o755);
writeJson(path.join(native, "package.json"), {
  name: `@taskmark/cli-${platform}`,
  version,
  description: `The taskmark binary for ${platform} (installed by the taskmark package)`,
  license: manifest.license,
  os: [os],
  cpu: [cpu],
  files: [`bin/${executable}`, "LICENSE-MIT", "LICENSE-APACHE"],
  preferUnplugged: true,
});
fs.copyFileSync(path.join(repo, "LICENSE-MIT"), path.join(native, "LICENSE-MIT"));
fs.copyFileSync(path.join(repo, "LICENSE-APACHE"), path.join(native, "LICENSE-APACHE"));
fs.copyFileSync(path.join(repo, "LICENSE-MIT"), path.join(command, "LICENSE-MIT"));
fs.copyFileSync(path.join(repo, "LICENSE-APACHE"), path.join(command, "LICENSE-APACHE"));

const packed = [pack(command), pack(native)];
fs.rmSync(staging, { recursive: true, force: true });
for (const it of packed) console.log(it);
