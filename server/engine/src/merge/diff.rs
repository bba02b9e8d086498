//! The two-way diff the three-way merge is built on: which elements of the ancestor a side
//! kept, and where. Myers' algorithm (a minimal diff, in linear space, by its middle snake), with
//! two guards, so that a hostile branch cannot stall `git merge`:
//!
//! - an element that occurs on one side only can never be kept: those are set aside before the
//!   search (as git's xdiff does), so that two sides that differ in every line cost one pass;
//! - every step of the search is paid from a [`Budget`] the whole merge shares. Once it is
//!   spent, a stretch is lined up only by the elements that occur once on each side and by what
//!   it begins and ends with alike, in n log n; the rest counts as removed on one side and added
//!   on the other (the three-way merge then shows it as one conflict, or takes it whole from the
//!   one side that changed it): past the budget the merge is coarser, never wrong, never slower.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::Hash;
use std::ops::Range;

/// The steps of the search a merge may take, shared by every diff it runs: well under a second
/// in a release build. The line merge of a 90,000-line tracker takes a dozen where each side
/// changed a few tasks, about a million where each changed 500 lines apart; two sides that
/// reorder 100,000 lines of a few hundred kinds would take billions.
pub const MERGE_STEPS: u64 = 20_000_000;

/// The steps left to a merge's diffs.
#[derive(Debug)]
pub struct Budget {
    left: Cell<u64>,
    spent: Cell<bool>,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget::new(MERGE_STEPS)
    }
}

impl Budget {
    pub fn new(steps: u64) -> Budget {
        Budget { left: Cell::new(steps), spent: Cell::new(false) }
    }

    /// Whether a diff ran out of steps (and so merged a stretch more coarsely than it could).
    pub fn spent(&self) -> bool {
        self.spent.get()
    }
}

/// For each element of `base`, the index of the element of `side` it was kept as, if any: the
/// pairs of a longest common subsequence, or of a common subsequence where the budget ran out.
pub fn kept<T: Eq + Hash>(base: &[T], side: &[T], budget: &Budget) -> Vec<Option<usize>> {
    let mut out = vec![None; base.len()];
    // Elements as small numbers, and only those both sequences hold: the rest are never kept.
    let mut ids: HashMap<&T, usize> = HashMap::new();
    let base_ids: Vec<usize> = base
        .iter()
        .map(|it| {
            let next = ids.len();
            *ids.entry(it).or_insert(next)
        })
        .collect();
    let mut in_side = vec![false; ids.len()];
    let (mut b, mut b_at) = (Vec::new(), Vec::new());
    for (at, element) in side.iter().enumerate() {
        if let Some(id) = ids.get(element) {
            in_side[*id] = true;
            b.push(*id);
            b_at.push(at);
        }
    }
    let (mut a, mut a_at) = (Vec::new(), Vec::new());
    for (at, id) in base_ids.iter().enumerate() {
        if in_side[*id] {
            a.push(*id);
            a_at.push(at);
        }
    }
    let mut search = Search::new(&a, &b, budget.left.get());
    let mut pairs = Vec::new();
    search.conquer(0..a.len(), 0..b.len(), &mut pairs);
    budget.left.set(search.left);
    if search.spent {
        budget.spent.set(true);
    }
    for (x, y) in pairs {
        if let (Some(base_at), Some(side_at)) = (a_at.get(x), b_at.get(y)) {
            out[*base_at] = Some(*side_at);
        }
    }
    out
}

/// One run of Myers' search over two sequences of element ids.
struct Search<'a> {
    a: &'a [usize],
    b: &'a [usize],
    /// The furthest x reached on each diagonal, forward and backward (index: diagonal + offset).
    forward: Vec<isize>,
    backward: Vec<isize>,
    offset: isize,
    left: u64,
    spent: bool,
}

impl<'a> Search<'a> {
    fn new(a: &'a [usize], b: &'a [usize], left: u64) -> Search<'a> {
        let offset = to_isize(a.len() + b.len()) / 2 + 3;
        let size = usize::try_from(2 * offset + 1).unwrap_or(0);
        Search { a, b, forward: vec![0; size], backward: vec![0; size], offset, left, spent: false }
    }

    fn pay(&mut self, steps: u64) -> bool {
        if self.spent || self.left < steps {
            self.left = 0;
            self.spent = true;
            return false;
        }
        self.left -= steps;
        true
    }

    /// Appends the kept pairs of `a[x]` and `b[y]`, in order.
    fn conquer(&mut self, x: Range<usize>, y: Range<usize>, out: &mut Vec<(usize, usize)>) {
        let (x, y, suffix) = self.trim(x, y, out);
        if !x.is_empty() && !y.is_empty() {
            match self.middle_snake(x.clone(), y.clone()) {
                // A split at a corner would never end: taken as no split at all.
                Some((at_x, at_y))
                    if x.start <= at_x
                        && at_x <= x.end
                        && y.start <= at_y
                        && at_y <= y.end
                        && (at_x, at_y) != (x.start, y.start)
                        && (at_x, at_y) != (x.end, y.end) =>
                {
                    self.conquer(x.start..at_x, y.start..at_y, out);
                    self.conquer(at_x..x.end, at_y..y.end, out);
                }
                _ if self.spent => self.anchored(x.clone(), y.clone(), out),
                _ => {}
            }
        }
        out.extend((0..suffix).map(|step| (x.end + step, y.end + step)));
    }

    /// Keeps what `a[x]` and `b[y]` begin with alike, and returns what is left between that and
    /// what they end with alike, with the length of the latter (kept by the caller, after).
    fn trim(
        &self,
        mut x: Range<usize>,
        mut y: Range<usize>,
        out: &mut Vec<(usize, usize)>,
    ) -> (Range<usize>, Range<usize>, usize) {
        let prefix = self.a[x.clone()].iter().zip(&self.b[y.clone()]).take_while(|(a, b)| a == b).count();
        out.extend((0..prefix).map(|step| (x.start + step, y.start + step)));
        x.start += prefix;
        y.start += prefix;
        let suffix =
            self.a[x.clone()].iter().rev().zip(self.b[y.clone()].iter().rev()).take_while(|(a, b)| a == b).count();
        x.end -= suffix;
        y.end -= suffix;
        (x, y, suffix)
    }

    /// Past the budget, a stretch is still lined up where that is cheap: by the elements that
    /// occur once in each (a heading, a task's title), in the longest order both keep them
    /// (patience sorting, n log n), with what is alike at the ends of each stretch between them.
    /// So that a block moved in a large file costs that block, not the rest of the file.
    fn anchored(&mut self, x: Range<usize>, y: Range<usize>, out: &mut Vec<(usize, usize)>) {
        let (mut from_x, mut from_y) = (x.start, y.start);
        for (at_x, at_y) in unique_in_order(&self.a[x.clone()], &self.b[y.clone()]) {
            let (at_x, at_y) = (x.start + at_x, y.start + at_y);
            self.ends_alike(from_x..at_x, from_y..at_y, out);
            out.push((at_x, at_y));
            (from_x, from_y) = (at_x + 1, at_y + 1);
        }
        self.ends_alike(from_x..x.end, from_y..y.end, out);
    }

    fn ends_alike(&self, x: Range<usize>, y: Range<usize>, out: &mut Vec<(usize, usize)>) {
        let (x, y, suffix) = self.trim(x, y, out);
        out.extend((0..suffix).map(|step| (x.end + step, y.end + step)));
    }

    /// A point of an optimal path near its middle, found by searching from both ends at once;
    /// `None` when the budget ran out first.
    fn middle_snake(&mut self, x: Range<usize>, y: Range<usize>) -> Option<(usize, usize)> {
        let (a, b) = (&self.a[x.clone()], &self.b[y.clone()]);
        let (n, m) = (to_isize(a.len()), to_isize(b.len()));
        let delta = n - m;
        let odd = delta & 1 == 1;
        let offset = self.offset;
        self.forward[to_index(offset + 1)] = 0;
        self.backward[to_index(offset + 1)] = 0;
        let d_max = (n + m + 1) / 2 + 1;
        for d in 0..d_max.min(offset - 1) {
            if !self.pay(2 * (d as u64 + 1)) {
                return None;
            }
            let mut snakes = 0;
            let mut k = d;
            while k >= -d {
                let at = to_index(k + offset);
                let x0 = start(&self.forward, at, k, d);
                let y0 = x0 - k;
                let run = slide(x0, y0, n, m, |x, y| a[x] == b[y]);
                snakes += run;
                self.forward[at] = x0 + run;
                if odd && (k - delta).abs() < d && x0 + run + self.backward[to_index(offset - (k - delta))] >= n {
                    return Some((x.start + to_index(x0), y.start + to_index(y0)));
                }
                k -= 2;
            }
            let mut k = d;
            while k >= -d {
                let at = to_index(k + offset);
                // Counted from the ends of both sequences.
                let x0 = start(&self.backward, at, k, d);
                let run = slide(x0, x0 - k, n, m, |x, y| a[a.len() - 1 - x] == b[b.len() - 1 - y]);
                snakes += run;
                let (px, py) = (x0 + run, x0 - k + run);
                self.backward[at] = px;
                if !odd && (k - delta).abs() <= d && px + self.forward[to_index(offset - (k - delta))] >= n {
                    return Some((x.start + to_index(n - px), y.start + to_index(m - py)));
                }
                k -= 2;
            }
            if !self.pay(snakes.unsigned_abs() as u64) {
                return None;
            }
        }
        None
    }
}

/// The elements that occur exactly once in `a` and once in `b`, as pairs of positions: the
/// longest run of them in the same order on both sides.
fn unique_in_order(a: &[usize], b: &[usize]) -> Vec<(usize, usize)> {
    // For each element: how often, and where last, in `a` and in `b`.
    let mut seen: HashMap<usize, (usize, usize, usize, usize)> = HashMap::new();
    for (at, id) in a.iter().enumerate() {
        let entry = seen.entry(*id).or_default();
        (entry.0, entry.1) = (entry.0 + 1, at);
    }
    for (at, id) in b.iter().enumerate() {
        if let Some(entry) = seen.get_mut(id) {
            (entry.2, entry.3) = (entry.2 + 1, at);
        }
    }
    let mut pairs: Vec<(usize, usize)> =
        seen.into_values().filter(|it| it.0 == 1 && it.2 == 1).map(|it| (it.1, it.3)).collect();
    pairs.sort_unstable();
    // The longest increasing run of `b` positions, by patience sorting: `tails[n]` is the pair
    // that ends the best run of length n + 1 found so far, `before` links each pair to the one
    // before it in its run.
    let mut tails: Vec<usize> = Vec::new();
    let mut before: Vec<Option<usize>> = vec![None; pairs.len()];
    for (index, pair) in pairs.iter().enumerate() {
        let length = tails.partition_point(|it| pairs[*it].1 < pair.1);
        before[index] = length.checked_sub(1).map(|it| tails[it]);
        if length == tails.len() {
            tails.push(index);
        } else {
            tails[length] = index;
        }
    }
    let mut run = Vec::with_capacity(tails.len());
    let mut at = tails.last().copied();
    while let Some(index) = at {
        run.push(pairs[index]);
        at = before[index];
    }
    run.reverse();
    run
}

/// Where the search on diagonal `k` starts at distance `d`: one step on from the neighbour that
/// reached further.
fn start(furthest: &[isize], at: usize, k: isize, d: isize) -> isize {
    if k == -d || (k != d && furthest[at - 1] < furthest[at + 1]) { furthest[at + 1] } else { furthest[at - 1] + 1 }
}

/// How many elements run alike from (x, y) within an `n` by `m` grid: the free stretch of a path.
fn slide(x: isize, y: isize, n: isize, m: isize, alike: impl Fn(usize, usize) -> bool) -> isize {
    let mut run = 0;
    while x + run >= 0 && y + run >= 0 && x + run < n && y + run < m && alike(to_index(x + run), to_index(y + run)) {
        run += 1;
    }
    run
}

fn to_isize(value: usize) -> isize {
    isize::try_from(value).unwrap_or(isize::MAX)
}

/// A coordinate the search keeps within its arrays, as an index (a negative one, which the
/// search never makes, as 0).
fn to_index(value: isize) -> usize {
    usize::try_from(value).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The length of a longest common subsequence, by dynamic programming.
    fn lcs(a: &[u8], b: &[u8]) -> usize {
        let mut row = vec![0; b.len() + 1];
        for x in a {
            let mut diagonal = 0;
            for (at, y) in b.iter().enumerate() {
                let above = row[at + 1];
                row[at + 1] = if x == y { diagonal + 1 } else { above.max(row[at]) };
                diagonal = above;
            }
        }
        row[b.len()]
    }

    /// The pairs are a common subsequence: equal elements, in order on both sides.
    fn common<T: PartialEq + std::fmt::Debug>(base: &[T], side: &[T], kept: &[Option<usize>]) -> usize {
        let mut last = None;
        let mut count = 0;
        for (at, found) in kept.iter().enumerate() {
            let Some(found) = *found else { continue };
            assert_eq!(base[at], side[found]);
            assert!(last.is_none_or(|it| it < found), "in order");
            last = Some(found);
            count += 1;
        }
        count
    }

    proptest! {
        #[test]
        fn the_diff_is_minimal(
            base in prop::collection::vec(0u8..6, 0..60),
            side in prop::collection::vec(0u8..6, 0..60),
        ) {
            let budget = Budget::default();
            let kept = kept(&base, &side, &budget);
            prop_assert_eq!(common(&base, &side, &kept), lcs(&base, &side));
            prop_assert!(!budget.spent());
        }

        #[test]
        fn a_spent_budget_still_gives_a_common_subsequence(
            base in prop::collection::vec(0u8..4, 0..80),
            side in prop::collection::vec(0u8..4, 0..80),
            steps in 0u64..200,
        ) {
            let budget = Budget::new(steps);
            let kept = kept(&base, &side, &budget);
            common(&base, &side, &kept);
        }
    }

    #[test]
    fn sides_that_share_nothing_cost_nothing() {
        let base: Vec<String> = (0..100_000).map(|it| format!("base {it}")).collect();
        let side: Vec<String> = (0..100_000).map(|it| format!("side {it}")).collect();
        let budget = Budget::new(1);
        assert!(kept(&base, &side, &budget).iter().all(Option::is_none));
        assert!(!budget.spent());
    }

    /// Past the budget, a block moved in a file of repeated lines is lined up by the lines that
    /// occur once: it costs the block, not the rest of the file.
    #[test]
    fn a_block_moved_past_the_budget_is_lined_up_by_the_lines_that_occur_once() {
        let base: Vec<String> = (0..3000)
            .flat_map(|it| [format!("### {it}. Task"), "- **Effort**: 1 hour".into(), "---".into(), String::new()])
            .collect();
        let mut side = base.clone();
        let moved: Vec<String> = side.drain(400..2400).collect();
        side.extend(moved);
        let budget = Budget::new(10_000);
        let found = kept(&base, &side, &budget);
        assert!(budget.spent());
        assert_eq!(found.iter().flatten().count(), base.len() - 2000, "all but the block");
        assert_eq!(common(&base, &side, &found), base.len() - 2000);
    }

    #[test]
    fn a_reordering_past_the_budget_stops_there() {
        let base: Vec<u32> = (0..20_000).map(|it| it % 300).collect();
        let side: Vec<u32> = base.iter().rev().copied().collect();
        let budget = Budget::new(1_000_000);
        let found = kept(&base, &side, &budget);
        assert!(budget.spent());
        assert_eq!(budget.left.get(), 0);
        assert!(found.iter().flatten().count() < base.len());
    }
}
