// The daemon's board routes (server/board/src/http.rs): the token read from the page's own
// address goes in a header on every request but the event stream (which cannot send one).

import type { BoardResponse, Refusal } from "./types";

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

export async function fetchBoard(place: Place): Promise<BoardResponse> {
  const response = await fetch(`/api/${place.board}/board`, { headers: { "x-taskmark-token": place.token } });
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
  const response = await fetch(`/api/${place.board}/status`, {
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
  const source = new EventSource(`/api/${place.board}/events?token=${encodeURIComponent(place.token)}`);
  source.addEventListener("changed", (event) => changed(Number((event as MessageEvent).data)));
  source.onerror = () => lost();
  return source;
}
