// The board's page: fetches the board, draws the columns or the graph, sends a drag as a
// status change, and follows the daemon's change events to fetch again (every change made by
// any editor, agent, command or on disk shows within a moment, with no reload).

import { type Place, fetchBoard, followChanges, placeOf, setStatus } from "./api";
import { type CardState, SHOWN_AT_ONCE, renderColumns } from "./columns";
import { el } from "./dom";
import { renderGraph } from "./graph";
import { candidates } from "./moves";
import type { BoardResponse, Card, Kind } from "./types";

type View = "columns" | "graph";

interface State {
  place: Place;
  data: BoardResponse | null;
  error: string | null;
  view: View;
  /** A tracker's root, or "*" for every tracker. */
  tracker: string;
  filter: string;
  /** Whether the columns show archived tasks (history); the graph shows those it links. */
  archived: boolean;
  cards: Map<string, CardState>;
  /** Cards shown per column, when more than SHOWN_AT_ONCE were asked for. */
  shown: Map<string, number>;
  live: boolean;
}

const state: State = {
  place: placeOf(window.location),
  data: null,
  error: null,
  view: window.location.hash === "#graph" ? "graph" : "columns",
  tracker: "*",
  filter: "",
  archived: true,
  cards: new Map(),
  shown: new Map(),
  live: false,
};

const root = document.getElementById("board") ?? document.body;

function visibleCards(archived: boolean): Card[] {
  const cards = state.data?.board.cards ?? [];
  const words = state.filter.trim().toLowerCase();
  return cards.filter(
    (card) =>
      (archived || !card.archived) &&
      (state.tracker === "*" || card.tracker === state.tracker) &&
      (!words || `${card.task} ${card.title ?? ""} ${card.status ?? ""}`.toLowerCase().includes(words)),
  );
}

/** A page drawn again under a drag would drop the dragged card: drawn once the drag ends. */
let dragging = false;
let drawLater = false;
document.addEventListener("dragstart", () => {
  dragging = true;
});
document.addEventListener("dragend", () => {
  dragging = false;
  if (drawLater) {
    drawLater = false;
    render();
  }
});

/** The page's own state changed (a card's answer): the next load draws whatever it fetches. */
let drawAfterLoad = false;

function render(): void {
  if (dragging) {
    drawLater = true;
    return;
  }
  drawAfterLoad = false;
  const started = performance.now();
  const data = state.data;
  document.body.dataset.version = String(data?.version ?? -1);
  document.body.dataset.view = state.view;
  const trackers = data?.board.trackers ?? [];
  const select = el("select", { "aria-label": "tracker" }, el("option", { value: "*" }, "every tracker"));
  for (const tracker of trackers) {
    const option = el("option", { value: tracker.root }, `${tracker.root || "(root)"} (${tracker.family})`);
    option.selected = tracker.root === state.tracker;
    select.append(option);
  }
  select.addEventListener("change", () => {
    state.tracker = select.value;
    render();
  });
  const filter = el("input", { type: "search", placeholder: "filter by id, title or status", "aria-label": "filter" });
  filter.value = state.filter;
  filter.addEventListener("input", () => {
    state.filter = filter.value;
    render();
    const again = root.querySelector<HTMLInputElement>("input[type=search]");
    again?.focus();
    again?.setSelectionRange(again.value.length, again.value.length);
  });
  const archived = el("input", { type: "checkbox", "aria-label": "show archived tasks" });
  archived.checked = state.archived;
  archived.addEventListener("change", () => {
    state.archived = archived.checked;
    render();
  });
  const tab = (view: View, label: string) => {
    const button = el("button", { type: "button", class: state.view === view ? "tab current" : "tab", "data-view": view }, label);
    button.addEventListener("click", () => {
      state.view = view;
      history.replaceState(null, "", view === "graph" ? "#graph" : "#");
      render();
    });
    return button;
  };
  const header = el(
    "header",
    { class: "top" },
    el("h1", {}, "taskmark board"),
    el("span", { class: "workspace" }, data?.workspace ?? ""),
    tab("columns", "Columns"),
    tab("graph", "Dependency graph"),
    select,
    filter,
    el("label", { class: "archived" }, archived, "archived"),
    el("span", { class: state.live ? "live on" : "live off", title: "updates as the files change" }, state.live ? "live" : "reconnecting"),
  );
  const notes = [...(data?.board.warnings ?? [])];
  if (data && data.board.cardCount > data.board.cards.length) {
    notes.push(`${data.board.cards.length} of ${data.board.cardCount} tasks shown`);
  }
  const body = (() => {
    if (state.error && !data) {
      return el("p", { class: "error" }, state.error);
    }
    if (!data) {
      return el("p", { class: "loading" }, "Reading the workspace…");
    }
    if (state.view === "graph") {
      // Archived tasks are drawn where a task links to them (the graph leaves unlinked ones out).
      return renderGraph(visibleCards(true), data.board.criticalPath);
    }
    const cards = visibleCards(state.archived);
    return renderColumns({
      cards,
      allTrackers: state.tracker === "*" && trackers.length > 1,
      critical: new Set(data.board.criticalPath),
      states: state.cards,
      dropped: (task, kind) => void drop(task, kind),
      retryWithReason: (task, reason) => void retry(task, reason),
      shown: state.shown,
      showMore: (kind) => {
        state.shown.set(kind, (state.shown.get(kind) ?? SHOWN_AT_ONCE) + SHOWN_AT_ONCE);
        render();
      },
      chose: (task, status) => void ask(task, status),
      dismissed: (task) => {
        state.cards.delete(task);
        render();
      },
    });
  })();
  if (state.error && data) {
    notes.unshift(state.error);
  }
  root.replaceChildren(header, ...notes.map((it) => el("p", { class: "note" }, it)), body);
  // For the benchmark (and a curious person's devtools): how long each drawing took.
  performance.measure("taskmark:render", { start: started });
}

/** The last change each card asked for, to send again with a reason. */
const asked = new Map<string, { status: string; from?: string }>();

async function drop(task: string, kind: Kind): Promise<void> {
  const card = state.data?.board.cards.find((it) => it.task === task);
  if (!card || card.kind === kind) {
    return;
  }
  const choices = candidates(card, state.data?.board.trackers ?? [], kind);
  if (choices.length === 0) {
    state.cards.set(task, { refusal: `the tracker ${card.tracker || "at the root"} has no other status of this kind` });
    render();
  } else if (choices.length === 1) {
    await ask(task, choices[0].id);
  } else {
    state.cards.set(task, { choosing: choices });
    render();
  }
}

async function ask(task: string, status: string): Promise<void> {
  const card = state.data?.board.cards.find((it) => it.task === task);
  const change = { status, from: card?.status ?? undefined };
  asked.set(task, change);
  await send(task, change);
}

async function retry(task: string, reason: string): Promise<void> {
  const change = asked.get(task);
  if (change) {
    await send(task, { ...change, reason });
  }
}

async function send(task: string, change: { status: string; from?: string; reason?: string }): Promise<void> {
  state.cards.set(task, { pending: true });
  render();
  try {
    const refusal = await setStatus(state.place, { task, ...change });
    state.cards.set(task, refusal ? { refusal: refusal.message } : {});
    if (!refusal) {
      asked.delete(task);
    }
  } catch (error) {
    state.cards.set(task, { refusal: `not sent: ${String(error)}` });
  }
  // The card's answer is drawn even when the board is as it was (a refusal changes no file).
  drawAfterLoad = true;
  await load();
}

let loading: Promise<void> | null = null;
/** The newest version the change events announced. */
let announced = -1;

/** Fetches the board, and again while a newer version was announced than the one fetched; draws
 *  each answer at once. */
async function load(): Promise<void> {
  if (loading) {
    return loading;
  }
  loading = (async () => {
    do {
      try {
        const asked = performance.now();
        const held = state.error ? null : state.data;
        state.data = await fetchBoard(state.place, held);
        performance.measure("taskmark:fetch", { start: asked });
        state.error = null;
        // A change elsewhere in the workspace (a file outside every tracker, a change undone)
        // can leave the board as it was: nothing to draw.
        if (held && state.data.board.generation === held.board.generation && state.live && !drawAfterLoad) {
          document.body.dataset.version = String(state.data.version);
          continue;
        }
      } catch (error) {
        state.error = `Cannot read the board: ${String(error instanceof Error ? error.message : error)}`;
      }
      render();
    } while (state.data && !state.error && announced > state.data.version);
  })();
  try {
    await loading;
  } finally {
    loading = null;
  }
}

followChanges(
  state.place,
  (version) => {
    const wasLive = state.live;
    state.live = true;
    announced = Math.max(announced, version);
    if (state.data && version > state.data.version) {
      void load();
    } else if (!wasLive) {
      render();
    }
  },
  () => {
    state.live = false;
    render();
  },
);
render();
void load();
