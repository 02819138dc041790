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
/// `min_items` items), the results in the items' order. Each thread takes the next item not
/// yet taken, so one costly item (a huge file) does not leave the other threads idle behind a
/// fixed share. A thread that panics leaves its items to be done here.
pub fn map<T: Sync, R: Send>(threads: usize, items: &[T], min_items: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads.min(items.len());
    if threads < 2 || items.len() < min_items.max(2) {
        return items.iter().map(&f).collect();
    }
    let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let (f, next) = (&f, &std::sync::atomic::AtomicUsize::new(0));
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { return done };
                        done.push((i, f(item)));
                    }
                })
            })
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
