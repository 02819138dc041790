//! The files the walk handed to the scan, remembered by a seeded 64-bit hash of the walker's
//! path only (8 bytes a file, where a path would be a hundred): the wrapper pass, which looks
//! for a wrapper's callers beside its definition, takes only files the walk admitted, so ignore
//! files, excludes, skipped folders and links rule them exactly as they rule the scan. Only the
//! code files that pass looks in are remembered. (The project model lists the files it needs
//! from [`super::texts::Texts`], which records them by path.)
//!
//! Two paths share a hash with odds of about one in 2^64 per pair, and the seed is random per
//! run, so a tree cannot aim at it; a collision would only let one more file be looked at.

use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::hash::BuildHasher;
use std::path::Path;
use std::sync::Mutex;

/// Shards, so the walker's threads rarely wait on one another.
const SHARDS: usize = 16;

#[derive(Debug)]
pub struct Seen {
    seed: RandomState,
    shards: [Mutex<HashSet<u64>>; SHARDS],
}

impl Seen {
    pub fn new() -> Seen {
        Seen { seed: RandomState::new(), shards: std::array::from_fn(|_| Mutex::new(HashSet::new())) }
    }

    fn key(&self, path: &Path) -> u64 {
        self.seed.hash_one(path.as_os_str().as_encoded_bytes())
    }

    pub fn insert(&self, path: &Path) {
        let key = self.key(path);
        self.shards[key as usize % SHARDS].lock().unwrap_or_else(|e| e.into_inner()).insert(key);
    }

    /// Whether the walk admitted `path` (spelled as the walker spells it: the root joined with
    /// the names below it).
    pub fn contains(&self, path: &Path) -> bool {
        let key = self.key(path);
        self.shards[key as usize % SHARDS].lock().unwrap_or_else(|e| e.into_inner()).contains(&key)
    }
}

impl Default for Seen {
    fn default() -> Self {
        Seen::new()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_path_is_seen_once_inserted() {
        let seen = super::Seen::new();
        seen.insert(std::path::Path::new("./a/b.py"));
        assert!(seen.contains(std::path::Path::new("./a/b.py")));
        assert!(!seen.contains(std::path::Path::new("./a/c.py")));
        assert!(!seen.contains(std::path::Path::new("a/b.py")), "spelled as the walker spells it");
    }
}
