// Which statuses a card dropped on a column may ask for: the columns are kinds, a tracker's
// statuses are words of those kinds. With one status of that kind in the card's vocabulary the
// drop asks for it; with several (a tracker's researching, planning, implementing) the card asks
// which. A status the vocabulary does not allow from the card's is still offered, marked: the
// daemon then refuses it with its reason, which is what the person should read.

import type { BoardTracker, Card, Kind } from "./types";

export interface Candidate {
  id: string;
  display: string;
  /** Whether the vocabulary allows it from the card's status. */
  allowed: boolean;
}

export function candidates(card: Card, trackers: BoardTracker[], kind: Kind): Candidate[] {
  const tracker = trackers.find((it) => it.root === card.tracker);
  return (tracker?.statuses ?? [])
    .filter((it) => it.kind === kind && it.display !== card.status)
    .map((it) => ({
      id: it.id,
      display: it.display,
      allowed: card.allowed.includes(it.id),
    }));
}

/** Whether a refusal asks for a reason, which the card then offers to give. */
export function needsReason(message: string): boolean {
  return /\breason\b/i.test(message);
}
