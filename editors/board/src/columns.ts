// The columns view: one column per kind of status, each card a task with its places, claim,
// other worktrees' work and dead dependencies; a card dragged to another column asks for a
// status of that kind.

import { classes, el } from "./dom";
import { type Candidate, needsReason } from "./moves";
import type { Card, Kind } from "./types";
import { KINDS } from "./types";

/** A column shows this many cards at first, and this many more at each ask: a board of
 *  thousands of tasks draws in well under a second, and the filter finds any card. */
export const SHOWN_AT_ONCE = 150;

export interface CardState {
  refusal?: string;
  pending?: boolean;
  /** Dropped on a column of several statuses: which one. */
  choosing?: Candidate[];
}

export interface ColumnsView {
  cards: Card[];
  /** Cards of every tracker: each names its tracker. */
  allTrackers: boolean;
  critical: Set<string>;
  states: Map<string, CardState>;
  dropped: (task: string, kind: Kind) => void;
  retryWithReason: (task: string, reason: string) => void;
  /** How many cards each column shows (SHOWN_AT_ONCE unless asked for more). */
  shown: Map<string, number>;
  showMore: (kind: string) => void;
  chose: (task: string, status: string) => void;
  dismissed: (task: string) => void;
}

export function renderColumns(view: ColumnsView): HTMLElement {
  const board = el("div", { class: "columns" });
  for (const { kind, title } of KINDS) {
    const cards = view.cards.filter((it) => it.kind === kind);
    const list = el("div", { class: "cards" });
    const shown = view.shown.get(kind) ?? SHOWN_AT_ONCE;
    for (const card of cards.slice(0, shown)) {
      list.append(renderCard(card, view));
    }
    if (cards.length > shown) {
      const more = el("button", { type: "button", class: "more", "data-more": kind }, `Show more (${cards.length - shown} not shown)`);
      more.addEventListener("click", () => view.showMore(kind));
      list.append(more);
    }
    const column = el(
      "section",
      { class: `column kind-${kind}`, "data-kind": kind },
      el("h2", {}, title, el("span", { class: "count" }, String(cards.length))),
      list,
    );
    column.addEventListener("dragover", (event) => {
      event.preventDefault();
      column.classList.add("over");
    });
    column.addEventListener("dragleave", () => column.classList.remove("over"));
    column.addEventListener("drop", (event) => {
      event.preventDefault();
      column.classList.remove("over");
      const task = event.dataTransfer?.getData("text/plain");
      if (task) {
        view.dropped(task, kind);
      }
    });
    board.append(column);
  }
  const unsorted = view.cards.filter((it) => it.kind === null);
  if (unsorted.length > 0) {
    board.append(
      el(
        "section",
        { class: "column kind-none", "data-kind": "none" },
        el("h2", {}, "No status", el("span", { class: "count" }, String(unsorted.length))),
        el("div", { class: "cards" }, ...unsorted.slice(0, SHOWN_AT_ONCE).map((card) => renderCard(card, view))),
      ),
    );
  }
  return board;
}

/** Each card's element as last drawn, with what else it was drawn from: a card the last
 *  answer did not change (the same object: see `withChanges`) is not drawn again, so a
 *  change on a board of thousands of cards draws the few it changed. */
const drawn = new WeakMap<Card, { element: HTMLElement; shape: string }>();

function renderCard(card: Card, view: ColumnsView): HTMLElement {
  const state = view.states.get(card.task);
  // A card with a question or a refusal on it is drawn afresh each time (its buttons).
  const shape = `${view.allTrackers} ${view.critical.has(card.task)}`;
  const kept = state ? undefined : drawn.get(card);
  if (kept && kept.shape === shape) {
    return kept.element;
  }
  const element = drawCard(card, state ?? {}, view);
  if (!state) {
    drawn.set(card, { element, shape });
  }
  return element;
}

function drawCard(card: Card, state: CardState, view: ColumnsView): HTMLElement {
  const dead = card.dependencies.filter((it) => it.dead);
  const waiting = card.dependencies.filter((it) => !it.done && !it.dead);
  const places = card.places ?? [];
  const drift = places.filter((it) => !it.agrees);
  const element = el(
    "article",
    {
      class: classes(
        "card",
        !card.agrees && "drifting",
        view.critical.has(card.task) && "critical",
        dead.length > 0 && "dead",
        card.claim && "claimed",
        state.pending && "pending",
        state.refusal && "refused",
        state.choosing && "asking",
        card.archived && "archived",
      ),
      "data-task": card.task,
      draggable: card.settable ? "true" : "false",
      title: card.settable ? "Drag to another column to change its status" : "Its status is not taskmark's to write",
    },
    el(
      "header",
      {},
      el("span", { class: "id" }, `#${card.id}`),
      view.allTrackers ? el("span", { class: "tracker" }, card.tracker || "(root)") : null,
      el("span", { class: "status" }, card.status ?? "no status"),
    ),
    el("p", { class: "title" }, card.title ?? "(no title)"),
    card.agrees
      ? null
      : el(
          "details",
          { class: "drift" },
          el("summary", {}, `places disagree (${drift.length} of ${card.placeCount})`),
          el(
            "ul",
            {},
            ...places.map((place) =>
              el("li", { class: place.agrees ? "agrees" : "differs" }, `${place.file}:${place.line} ${place.value}`),
            ),
          ),
        ),
    card.claim ? el("p", { class: "claim" }, `claimed by ${card.claim}`) : null,
    ...(card.elsewhere ?? []).map((it) => el("p", { class: "elsewhere" }, `taken up in worktree ${it}`)),
    ...dead.map((it) => el("p", { class: "dead-dependency" }, `can never be done as planned: depends on ${it.dead}`)),
    waiting.length > 0
      ? el("p", { class: "waits" }, `waits on ${waiting.map((it) => shortName(it.task, card.tracker)).join(", ")}`)
      : null,
    state.choosing ? renderChoice(card, state.choosing, view) : null,
    state.refusal ? renderRefusal(card, state.refusal, view) : null,
  );
  element.addEventListener("dragstart", (event) => {
    event.dataTransfer?.setData("text/plain", card.task);
    if (event.dataTransfer) {
      event.dataTransfer.effectAllowed = "move";
    }
  });
  return element;
}

function renderChoice(card: Card, choices: Candidate[], view: ColumnsView): HTMLElement {
  const box = el("div", { class: "choice", role: "group", "aria-label": "which status" }, el("p", {}, "Which status?"));
  for (const choice of choices) {
    const button = el(
      "button",
      {
        type: "button",
        "data-status": choice.id,
        title: choice.allowed ? "" : `not a step the tracker allows from ${card.status ?? "no status"}`,
        class: choice.allowed ? "allowed" : "not-allowed",
      },
      choice.display,
    );
    button.addEventListener("click", () => view.chose(card.task, choice.id));
    box.append(button);
  }
  const cancel = el("button", { type: "button", class: "cancel" }, "Cancel");
  cancel.addEventListener("click", () => view.dismissed(card.task));
  box.append(cancel);
  return box;
}

/** A task of the card's own tracker by its id alone. */
function shortName(task: string, tracker: string): string {
  return tracker && task.startsWith(`${tracker}:`) ? task.slice(tracker.length + 1) : task;
}

/** The board offers no override: the editors' hint at one is left out. */
export function boardWords(message: string): string {
  return message.replace(/\s*\((set|use) `?force`?[^)]*\)/g, "");
}

function renderRefusal(card: Card, message: string, view: ColumnsView): HTMLElement {
  const dismiss = el("button", { type: "button", class: "dismiss", "aria-label": "dismiss", title: "dismiss" }, "×");
  dismiss.addEventListener("click", () => view.dismissed(card.task));
  const box = el("div", { class: "refusal", role: "alert" }, dismiss, el("p", {}, boardWords(message)));
  if (needsReason(message)) {
    const input = el("input", { type: "text", placeholder: "the reason, in one line", "aria-label": "reason" });
    const button = el("button", { type: "button" }, "Change with this reason");
    button.addEventListener("click", () => {
      if (input.value.trim()) {
        view.retryWithReason(card.task, input.value.trim());
      }
    });
    box.append(el("div", { class: "reason" }, input, button));
  }
  return box;
}
