// The dependency graph: each task that waits on another or is waited on, laid out by dagre
// (ranks left to right: what is waited on before what waits). Highlighted: dead dependencies
// (a chain of open tasks ending at an abandoned one) and the tasks along them, tasks blocked by
// a dependency not done, and the critical path (the longest chain of open tasks each waiting on
// the next).

import dagre from "@dagrejs/dagre";
import { classes, el, svg } from "./dom";
import type { Card } from "./types";

/** Larger graphs are cut (a layout of thousands of nodes takes seconds and is not read). */
export const MOST_NODES = 1500;
const WIDTH = 180;
const HEIGHT = 46;

interface Edge {
  from: string;
  to: string;
  dead: boolean;
}

export function renderGraph(cards: Card[], criticalPath: string[]): HTMLElement {
  const byTask = new Map(cards.map((card) => [card.task, card]));
  const edges: Edge[] = [];
  const deadTasks = new Set<string>();
  for (const card of cards) {
    for (const dependency of card.dependencies) {
      if (dependency.dead) {
        deadTasks.add(card.task);
        for (const task of dependency.deadChain ?? []) {
          deadTasks.add(task);
        }
      }
      if (byTask.has(dependency.task)) {
        edges.push({ from: dependency.task, to: card.task, dead: Boolean(dependency.dead) });
      }
    }
  }
  // A dead chain's links are dead edges too, wherever they were found.
  for (const edge of edges) {
    if (deadTasks.has(edge.from) && deadTasks.has(edge.to)) {
      edge.dead = true;
    }
  }
  const linked = new Set(edges.flatMap((it) => [it.from, it.to]));
  const nodes = cards.filter((it) => linked.has(it.task)).slice(0, MOST_NODES);
  const shown = new Set(nodes.map((it) => it.task));
  const drawn = edges.filter((it) => shown.has(it.from) && shown.has(it.to));
  if (nodes.length === 0) {
    return el("p", { class: "empty" }, "No task here depends on another.");
  }
  const critical = new Set(criticalPath);
  const criticalEdges = new Set<string>();
  for (let at = 0; at + 1 < criticalPath.length; at++) {
    // The path runs from the task that waits to the one to start first.
    criticalEdges.add(`${criticalPath[at + 1]}->${criticalPath[at]}`);
  }

  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 60, marginx: 20, marginy: 20 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    graph.setNode(node.task, { width: WIDTH, height: HEIGHT });
  }
  for (const edge of drawn) {
    graph.setEdge(edge.from, edge.to);
  }
  dagre.layout(graph);
  const size = graph.graph();
  const width = Math.ceil(size.width ?? 0);
  const height = Math.ceil(size.height ?? 0);

  const picture = svg("svg", {
    class: "graph",
    width: String(width),
    height: String(height),
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": "dependency graph",
  });
  picture.append(
    svg(
      "defs",
      {},
      svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto" },
        svg("path", { d: "M0,0 L10,5 L0,10 z" })),
    ),
  );
  for (const edge of drawn) {
    const points: { x: number; y: number }[] = graph.edge(edge.from, edge.to)?.points ?? [];
    if (points.length === 0) {
      continue;
    }
    const d = points.map((point, at) => `${at === 0 ? "M" : "L"}${point.x.toFixed(1)},${point.y.toFixed(1)}`).join(" ");
    const onCritical = criticalEdges.has(`${edge.from}->${edge.to}`);
    picture.append(
      svg("path", {
        class: classes("edge", edge.dead && "dead", onCritical && "critical"),
        d,
        "marker-end": "url(#arrow)",
        "data-from": edge.from,
        "data-to": edge.to,
      }),
    );
  }
  for (const card of nodes) {
    const box = graph.node(card.task);
    const waiting = card.dependencies.some((it) => !it.done);
    const open = card.kind === "todo" || card.kind === "active" || card.kind === "blocked";
    const title = card.title ?? "";
    picture.append(
      svg(
        "g",
        {
          class: classes(
            "node",
            `kind-${card.kind ?? "none"}`,
            deadTasks.has(card.task) && "dead",
            critical.has(card.task) && "critical",
            open && waiting && "blocked",
          ),
          "data-task": card.task,
          transform: `translate(${(box.x - WIDTH / 2).toFixed(1)},${(box.y - HEIGHT / 2).toFixed(1)})`,
        },
        svg("title", {}, `${card.task} ${title} (${card.status ?? "no status"})`),
        svg("rect", { width: String(WIDTH), height: String(HEIGHT), rx: "6" }),
        svg("text", { x: "8", y: "18", class: "node-id" }, `#${card.id} ${card.status ?? ""}`),
        svg("text", { x: "8", y: "36", class: "node-title" }, title.length > 26 ? `${title.slice(0, 25)}…` : title),
      ),
    );
  }
  const legend = el(
    "p",
    { class: "legend" },
    el("span", { class: "dead" }, "dead dependency"),
    el("span", { class: "critical" }, "critical path"),
    el("span", { class: "blocked" }, "waiting on a dependency"),
    linked.size > nodes.length ? el("span", {}, `first ${nodes.length} of ${linked.size} tasks shown`) : null,
  );
  return el("div", { class: "graph-view" }, legend, el("div", { class: "graph-scroll" }, picture));
}
