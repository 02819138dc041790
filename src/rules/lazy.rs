//! The knowledge (catalog, SDK maps, tool profiles, rewrites), built when a command first
//! reads it. Parsing the built-in files is a few megabytes of YAML, most of a small scan's
//! time, and `scan` never reads them.

use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

use super::knowledge::Knowledge;
use super::load::{RuleFile, RuleSource};

pub struct LazyKnowledge {
    /// Built from the built-in files when first read, unless given built. The built-in files
    /// are checked by the tests (a user's files are never left for later: see
    /// `RuleSet::load`), so building them cannot fail; their texts are not held meanwhile.
    built: OnceLock<Knowledge>,
    /// The threads the built-in files are parsed on (`--threads`).
    threads: usize,
    /// Synced permission-group ids to lay over the bundled ones when building.
    synced: Option<super::synced::Synced>,
}

impl LazyKnowledge {
    pub(crate) fn built(knowledge: Knowledge) -> LazyKnowledge {
        LazyKnowledge { built: OnceLock::from(knowledge), threads: 1, synced: None }
    }

    /// The built-in knowledge, built when first read (parsed on `threads` threads).
    pub(crate) fn later(threads: usize) -> LazyKnowledge {
        LazyKnowledge { built: OnceLock::new(), threads, synced: None }
    }

    /// Lays `synced`'s ids over the groups: now if built, else when built (the cache is read
    /// and checked by the caller, so `scan`, which never builds the knowledge, pays nothing more).
    pub(crate) fn apply_synced(&mut self, synced: super::synced::Synced) {
        match self.built.get_mut() {
            Some(k) => {
                k.apply_synced_ids(&synced);
            }
            None => self.synced = Some(synced),
        }
    }

    pub fn is_built(&self) -> bool {
        self.built.get().is_some()
    }

    /// The knowledge itself, built if it was not yet.
    pub fn into_inner(mut self) -> Knowledge {
        self.force();
        self.built.take().unwrap_or_default()
    }

    fn force(&self) -> &Knowledge {
        self.built.get_or_init(|| {
            let sources: Vec<RuleSource> =
                super::load::builtin_sources().into_iter().filter(|s| !super::load::is_detect_file(s)).collect();
            let mut errors = Vec::new();
            let files: Vec<(&RuleSource, RuleFile)> = sources
                .iter()
                .zip(super::parse_in_parallel(&sources, self.threads))
                .filter_map(|(source, parsed)| parsed.ok().map(|file| (source, file)))
                .collect();
            let mut k = Knowledge::build(files, &mut errors);
            if let Some(synced) = &self.synced {
                k.apply_synced_ids(synced);
            }
            k
        })
    }
}

impl Deref for LazyKnowledge {
    type Target = Knowledge;
    fn deref(&self) -> &Knowledge {
        self.force()
    }
}

impl DerefMut for LazyKnowledge {
    fn deref_mut(&mut self) -> &mut Knowledge {
        self.force();
        // Just built, so present.
        self.built.get_mut().expect("knowledge was built above")
    }
}

impl std::fmt::Debug for LazyKnowledge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.built.get() {
            Some(k) => k.fmt(f),
            None => f.write_str("LazyKnowledge(not built yet)"),
        }
    }
}
