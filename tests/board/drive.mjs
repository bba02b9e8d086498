// The board's end-to-end test: the real `taskmark` binary's daemon serves the board of a copy of
// tests/fixtures/board, and a real Chromium (Debian's, driven by playwright-core) uses it as a
// person would. Run by run-e2e.sh; every step's screenshot is kept in $SHOTS.
//
//   1. drags task 21 from "To do" to "In progress", picks [IMPLEMENTING], and finds every file
//      that states the task saying so on disk;
//   2. drags task 22 to "Done" and picks [COMPLETED], a step the vocabulary forbids from
//      [NOT STARTED]: the card shows the refusal and no file changes;
//   3. runs `taskmark set 23 implementing` and sees the card move within a second, unreloaded;
//   4. opens the dependency graph and finds task 25's dead dependency (on the abandoned 24)
//      and task 26 behind it highlighted.

import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const { chromium } = require(path.join(ROOT, "editors/board/node_modules/playwright-core"));

const BIN = process.env.TASKMARK_BIN;
if (!BIN || !fs.existsSync(BIN)) {
  throw new Error(`TASKMARK_BIN must name the taskmark binary (got ${BIN})`);
}
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.SHOTS ?? path.join(ROOT, "target/board-e2e/screenshots");
fs.mkdirSync(SHOTS, { recursive: true });

const work = fs.mkdtempSync(path.join(os.tmpdir(), "taskmark-board-e2e-"));
const workspace = path.join(work, "workspace");
fs.cpSync(path.join(ROOT, "tests/fixtures/board"), workspace, { recursive: true });
const runtime = path.join(work, "runtime");
fs.mkdirSync(runtime, { mode: 0o700 });
const env = { ...process.env, TASKMARK_RUNTIME_DIR: runtime, BROWSER: "" };

const todo = () => fs.readFileSync(path.join(workspace, "specs/TODO.md"), "utf8");
const state = () => JSON.parse(fs.readFileSync(path.join(workspace, "specs/state.json"), "utf8"));
const entry = (id) =>
  [...state().active_projects, ...(state().completed_projects ?? [])].find((it) => it.project_number === id);
const taskmark = (...args) => execFileSync(BIN, args, { env, cwd: workspace, encoding: "utf8" });

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
  console.log(`ok: ${message}`);
}

const answer = JSON.parse(taskmark("board", "--no-open", "--format", "json", "--root", workspace));
check(answer.url.startsWith("http://127.0.0.1:") && answer.url.includes("token="), `the board is served at ${answer.url.replace(/token=\w+/, "token=…")}`);

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
let failed = null;
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const errors = [];
page.on("pageerror", (error) => errors.push(String(error)));
// The refused drag's answer (409) is logged by Chromium as a failed load: that one is expected.
page.on("console", (message) => {
  if (message.type() === "error" && !/status of 409/.test(message.text())) {
    errors.push(message.text());
  }
});
try {
  const started = Date.now();
  await page.goto(answer.url);
  const card = (task) => page.locator(`article.card[data-task="specs:${task}"]`);
  const inColumn = (kind, task) => page.locator(`section[data-kind="${kind}"] article.card[data-task="specs:${task}"]`);
  await inColumn("todo", 21).waitFor({ timeout: 15000 });
  console.log(`first paint with cards after ${Date.now() - started} ms`);
  await page.locator(".live.on").waitFor({ timeout: 5000 });
  await page.screenshot({ path: path.join(SHOTS, "1-columns.png"), fullPage: true });

  // 1. A drag to "In progress", then the status asked for.
  await card(21).dragTo(page.locator('section[data-kind="active"]'));
  await card(21).locator('.choice button[data-status="implementing"]').click();
  await inColumn("active", 21).waitFor({ timeout: 5000 });
  check(/- \*\*21\*\* \[IMPLEMENTING\]/.test(todo()), "TODO.md's Task Order line says 21 is [IMPLEMENTING]");
  check(/### 21\. Parser\n- \*\*Status\*\*: \[IMPLEMENTING\]/.test(todo()), "TODO.md's section says 21 is [IMPLEMENTING]");
  check(entry(21).status === "implementing", "state.json says 21 is implementing");
  check(/^  active: 5$/m.test(todo()) && /^  not_started: 4$/m.test(todo()), "TODO.md's counters follow");
  const after = taskmark("check", "--format", "json", workspace);
  const found = JSON.parse(after).diagnostics.map((it) => it.code);
  check(found.every((it) => it === "dependency-dead"), `no drift after the drag (diagnostics: ${found.join(", ")})`);
  await page.screenshot({ path: path.join(SHOTS, "2-dragged.png"), fullPage: true });

  // 2. A step the vocabulary forbids: refused on the card, nothing written.
  const before = { todo: todo(), state: fs.readFileSync(path.join(workspace, "specs/state.json"), "utf8") };
  // What the refusal reads as in the very task that draws it, before the next frame: a card drawn
  // afresh could have no rendered text until then (`content-visibility: auto`), and a screen
  // reader announcing the alert at once would read nothing.
  await page.evaluate(() => {
    window.refusalsAsDrawn = [];
    new MutationObserver(() => {
      for (const it of document.querySelectorAll(".refusal")) window.refusalsAsDrawn.push(it.innerText);
    }).observe(document.body, { childList: true, subtree: true });
  });
  await card(22).dragTo(page.locator('section[data-kind="done"]'));
  await card(22).locator('.choice button[data-status="completed"]').click();
  const refusal = card(22).locator(".refusal");
  await refusal.waitFor({ timeout: 5000 });
  const words = await refusal.locator("p").first().innerText();
  const asDrawn = await page.evaluate(() => window.refusalsAsDrawn);
  check(asDrawn.length > 0 && asDrawn.every((it) => /not (an )?allowed/.test(it)), `the refusal reads whole as soon as it is drawn (${asDrawn.length} times)`);
  check(/not allowed|cannot|forbidden|transition/i.test(words), `the card shows the refusal: ${words.split("\n")[0]}`);
  check(await inColumn("todo", 22).count() === 1, "task 22 stays in To do");
  check(todo() === before.todo, "TODO.md is unchanged");
  check(fs.readFileSync(path.join(workspace, "specs/state.json"), "utf8") === before.state, "state.json is unchanged");
  await page.screenshot({ path: path.join(SHOTS, "3-refused.png"), fullPage: true });

  // 3. A change from the command line shows without a reload.
  const version = await page.evaluate(() => document.body.dataset.version);
  // The page asks for what changed since the board it holds, and gets those cards alone.
  const delta = page.waitForResponse((it) => /\/api\/\d+\/board\?since=[0-9a-f]{16}$/.test(it.url()), { timeout: 5000 });
  const setAt = Date.now();
  taskmark("set", "23", "implementing", "--root", workspace);
  const setTook = Date.now() - setAt;
  const seenAt = Date.now();
  await inColumn("active", 23).waitFor({ timeout: 1000 });
  const moved = Date.now() - seenAt;
  check(moved < 1000, `the card moved ${moved} ms after \`taskmark set\` returned (it took ${setTook} ms)`);
  check((await page.evaluate(() => document.body.dataset.version)) !== version, "the page fetched a new version, not a reload");
  const changed = (await (await delta).json()).board;
  check(
    changed.since && changed.cards.length >= 1 && changed.cards.length < changed.cardCount && changed.cards.some((it) => it.task === "specs:23"),
    `the page was sent the changed cards alone (${changed.cards.map((it) => it.task).join(", ")} of ${changed.cardCount})`,
  );
  await page.screenshot({ path: path.join(SHOTS, "4-live.png"), fullPage: true });

  // 4. The graph, with the dead dependency and the chain behind it.
  await page.locator('button[data-view="graph"]').click();
  await page.locator("svg.graph").waitFor({ timeout: 5000 });
  check(await page.locator('g.node.dead[data-task="specs:25"]').count() === 1, "task 25 is highlighted as dead");
  check(await page.locator('g.node.dead[data-task="specs:26"]').count() === 1, "task 26, behind it, is highlighted too");
  check(await page.locator('path.edge.dead[data-from="specs:24"][data-to="specs:25"]').count() === 1, "the edge 24 -> 25 is dead");
  check(await page.locator('g.node.dead[data-task="specs:22"]').count() === 0, "task 22 is not dead");
  check(await page.locator("g.node.critical").count() >= 2, "the critical path is highlighted");
  await page.screenshot({ path: path.join(SHOTS, "5-graph.png"), fullPage: true });
  check(errors.length === 0, `no error in the page's console${errors.length ? `: ${errors.join("; ")}` : ""}`);
} catch (error) {
  failed = error;
  console.error(`FAILED: ${error.stack ?? error}`);
  await page.screenshot({ path: path.join(SHOTS, "failed.png"), fullPage: true }).catch(() => {});
  const edges = await page.locator("path.edge").evaluateAll((all) => all.map((it) => `${it.dataset.from}->${it.dataset.to} ${it.getAttribute("class")}`)).catch(() => []);
  if (edges.length) console.error(`edges drawn: ${edges.join(", ")}`);
} finally {
  await browser.close();
  try {
    const pid = Number(fs.readFileSync(path.join(runtime, "daemon.pid"), "utf8").trim());
    if (pid > 0) process.kill(pid, "SIGTERM");
  } catch {}
}
if (failed) {
  const log = path.join(runtime, "daemon.log");
  if (fs.existsSync(log)) {
    console.error(fs.readFileSync(log, "utf8").split("\n").slice(-40).join("\n"));
  }
  process.exit(1);
}
console.log(`board e2e passed; screenshots in ${SHOTS}`);
