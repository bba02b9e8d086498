// The board's benchmark in a real Chromium (run by `cargo bench --bench board`, which makes the
// workspace, starts the daemon and passes the board's address):
//   - first paint: a fresh page from navigation to its first card drawn, the daemon having
//     indexed the workspace already (the page's own request for the data included);
//   - a drag answered: the page's POST of a status change (as a drop sends it) to its answer,
//     each on another task [NOT STARTED] -> a status of the active kind the vocabulary allows.
// Prints one JSON line: {"paint_ms": [...], "drag_ms": [...], "cards": N}.

import { createRequire } from "node:module";
import * as path from "node:path";

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const { chromium } = require(path.join(ROOT, "editors/board/node_modules/playwright-core"));

const [url, loadsArg, dragsArg] = process.argv.slice(2);
const loads = Number(loadsArg ?? 10);
const drags = Number(dragsArg ?? 50);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const paint = [];
  let page;
  for (let run = 0; run < loads; run++) {
    await page?.close();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url, { waitUntil: "commit" });
    await page.locator("article.card").first().waitFor({ timeout: 30000 });
    // From the navigation's start to now, in the page's own clock.
    paint.push(await page.evaluate(() => performance.now()));
  }
  const board = await page.evaluate(async () => {
    const token = new URLSearchParams(location.search).get("token");
    const number = /\/board\/(\d+)\//.exec(location.pathname)[1];
    const answer = await (await fetch(`/api/${number}/board`, { headers: { "x-taskmark-token": token } })).json();
    return answer.board;
  });
  const movable = board.cards
    // Ready ones: starting a task that waits on another is refused (dependency-not-done).
    .filter((card) => card.kind === "todo" && card.settable && !card.archived && card.dependencies.every((it) => it.done))
    .map((card) => {
      const statuses = board.trackers.find((it) => it.root === card.tracker)?.statuses ?? [];
      return { card, to: statuses.find((status) => status.kind === "active" && card.allowed.includes(status.id)) };
    })
    .filter((it) => it.to)
    .slice(0, drags);
  if (movable.length < drags) {
    throw new Error(`only ${movable.length} tasks to drag`);
  }
  const drag = [];
  for (const { card, to } of movable) {
    const elapsed = await page.evaluate(async ({ task, status, from }) => {
      const token = new URLSearchParams(location.search).get("token");
      const number = /\/board\/(\d+)\//.exec(location.pathname)[1];
      const started = performance.now();
      const response = await fetch(`/api/${number}/status`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-taskmark-token": token },
        body: JSON.stringify({ task, status, from }),
      });
      const took = performance.now() - started;
      if (!response.ok) {
        throw new Error(`${task} -> ${status}: ${response.status} ${await response.text()}`);
      }
      return took;
    }, { task: card.task, status: to.id, from: card.status });
    drag.push(elapsed);
  }
  console.log(JSON.stringify({ paint_ms: paint, drag_ms: drag, cards: board.cardCount }));
} finally {
  await browser.close();
}
