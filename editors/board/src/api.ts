// The daemon's board routes (server/board/src/http.rs): the token read from the page's own
// address goes in a header on every request but the event stream (which cannot send one).
// Every address is relative to the page's (`/board/N/`), so that the board works where a proxy
// serves it under a prefix (code-server's `/proxy/PORT/`, a forwarded port).

import type { BoardResponse, Card, Refusal } from "./types";

export interface Place {
  board: string;
  token: string;
}

/** The board number and token of this page's address (`/board/N/?token=T`). */
export function placeOf(location: Location): Place {
  const board = /\/board\/(\d+)\//.exec(location.pathname)?.[1] ?? "1";
  const token = new URLSearchParams(location.search).get("token") ?? "";
  return { board, token };
}

/** The board, or with `held` (the board the page has) only the cards that changed since, put
 *  in place: the daemon computes again only the trackers that changed, and sends only the cards
 *  that differ (a change on a board of thousands of cards is a few cards, not megabytes). */
export async function fetchBoard(place: Place, held?: BoardResponse | null): Promise<BoardResponse> {
  const since = held ? `?since=${encodeURIComponent(held.board.generation)}` : "";
  const answer = await fetchAnswer(place, since);
  if (!answer.board.since) {
    return answer;
  }
  if (!held || answer.board.since !== held.board.generation) {
    // Not the board this page holds (it cannot happen: the daemon answers the board it is
    // asked of); all of it again.
    return fetchAnswer(place, "");
  }
  return { ...answer, board: { ...answer.board, cards: withChanges(held.board.cards, answer.board.cards) } };
}

/** `cards` with each of `changed` in place of the card of its task. */
export function withChanges(cards: Card[], changed: Card[]): Card[] {
  if (changed.length === 0) {
    return cards;
  }
  const byTask = new Map(changed.map((card) => [card.task, card]));
  return cards.map((card) => byTask.get(card.task) ?? card);
}

async function fetchAnswer(place: Place, query: string): Promise<BoardResponse> {
  const response = await fetch(`../../api/${place.board}/board${query}`, { headers: { "x-taskmark-token": place.token } });
  if (!response.ok) {
    throw new Error(((await response.json().catch(() => ({}))) as Refusal).message ?? response.statusText);
  }
  return (await response.json()) as BoardResponse;
}

export interface StatusChange {
  task: string;
  status: string;
  from?: string;
  reason?: string;
}

/** `null` when the change was made; the refusal otherwise. */
export async function setStatus(place: Place, change: StatusChange): Promise<Refusal | null> {
  const response = await fetch(`../../api/${place.board}/status`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-taskmark-token": place.token },
    body: JSON.stringify(change),
  });
  if (response.ok) {
    return null;
  }
  const refusal = (await response.json().catch(() => null)) as Refusal | null;
  return refusal ?? { message: `${response.status} ${response.statusText}` };
}

export function followChanges(place: Place, changed: (version: number) => void, lost: () => void): EventSource {
  const source = new EventSource(`../../api/${place.board}/events?token=${encodeURIComponent(place.token)}`);
  source.addEventListener("changed", (event) => changed(Number((event as MessageEvent).data)));
  source.onerror = () => lost();
  return source;
}
