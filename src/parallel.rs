//! One order-keeping parallel map for the few places that split CPU work over threads
//! (parsing the rule files, linking a unit's files, the per-file searches of `plan`): the
//! results come back in the items' order, so the output never depends on the thread count.

/// The threads a command's parallel stages use: `--threads N`, else one per core (as the
/// walker does), and at least one.
pub fn threads(flag: Option<usize>) -> usize {
    match flag {
        Some(n) if n > 0 => n,
        _ => std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}

/// `f` over `items` on `threads` threads (see [`threads`]; one when there are fewer than
/// `min_items` items), the results in the items' order. Items are dealt round-robin, so
/// neighbours of similar cost spread over the threads. A thread that panics leaves its items
/// to be done here.
pub fn map<T: Sync, R: Send>(threads: usize, items: &[T], min_items: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads.min(items.len());
    if threads < 2 || items.len() < min_items.max(2) {
        return items.iter().map(&f).collect();
    }
    let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| s.spawn(move || (t..items.len()).step_by(threads).map(|i| (i, f(&items[i]))).collect::<Vec<_>>()))
            .collect();
        for h in handles {
            for (i, r) in h.join().unwrap_or_default() {
                out[i] = Some(r);
            }
        }
    });
    out.into_iter().zip(items).map(|(r, item)| r.unwrap_or_else(|| f(item))).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<usize> = (0..1000).collect();
        for threads in [1, 2, 3, 8] {
            assert_eq!(super::map(threads, &items, 1, |i| i * 2), items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
        assert_eq!(super::map(4, &items[..1], 64, |i| i + 1), vec![1]);
        assert!(super::map(4, &[] as &[u8], 1, |b| *b).is_empty());
        assert!(super::threads(Some(3)) == 3 && super::threads(None) >= 1 && super::threads(Some(0)) >= 1);
    }
}
