// The board's data as `taskmark.board` answers it (server/service/src/board.rs, whose fields
// serde writes in camelCase), wrapped by the daemon's `/api/N/board`.

export type Kind = "todo" | "active" | "blocked" | "done" | "cancelled";

export interface BoardStatus {
  id: string;
  display: string;
  kind: Kind;
}

export interface BoardTracker {
  root: string;
  family: string;
  statuses: BoardStatus[];
}

export interface CardPlace {
  file: string;
  line: number;
  value: string;
  agrees: boolean;
}

export interface CardDependency {
  task: string;
  exists: boolean;
  done: boolean;
  dead?: string;
  deadChain?: string[];
}

export interface Card {
  task: string;
  id: string;
  tracker: string;
  title: string | null;
  status: string | null;
  kind: Kind | null;
  agrees: boolean;
  placeCount: number;
  /** Only when the places do not all agree. */
  places?: CardPlace[];
  /** The status ids its vocabulary allows from its status. */
  allowed: string[];
  settable: boolean;
  archived: boolean;
  dependencies: CardDependency[];
  claim?: string;
  elsewhere?: string[];
}

export interface BoardAnswer {
  trackers: BoardTracker[];
  cards: Card[];
  cardCount: number;
  criticalPath: string[];
  warnings?: string[];
  /** Names this board: asked for again with it, only the cards that changed come back. */
  generation: string;
  /** When set, `cards` holds only the cards that differ from the board of this generation. */
  since?: string;
}

export interface BoardResponse {
  workspace: string;
  version: number;
  board: BoardAnswer;
}

/** A refusal, as the daemon answers a drag it did not make. */
export interface Refusal {
  message: string;
  data?: unknown;
}

export const KINDS: { kind: Kind; title: string }[] = [
  { kind: "todo", title: "To do" },
  { kind: "active", title: "In progress" },
  { kind: "blocked", title: "Blocked" },
  { kind: "done", title: "Done" },
  { kind: "cancelled", title: "Abandoned" },
];
