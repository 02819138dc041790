//! `.gitignore` / `.ignore` / `.git/info/exclude`, read with a bound. The walker's own
//! handling compiles every pattern of every ignore file it meets, and a scanned tree is a
//! stranger's: an 80,000-pattern `.gitignore` took minutes and over a gigabyte. Here each file
//! gives at most [`MAX_PATTERNS`] patterns from its first [`MAX_BYTES`]; past that the rest are
//! not applied and a warning says so. Applying fewer ignores scans more files, never fewer,
//! so a hostile file can cost time bounded per folder but cannot hide a key.
//!
//! Precedence is git's and the walker's: the deepest folder first, `.ignore` before
//! `.gitignore` in one folder, `.git/info/exclude` last. Folders above the scanned root count
//! up to the repository's top (the nearest one holding `.git`).

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

use crate::finding::{Warning, WarningReason};

/// Patterns one ignore file may contribute; real ones have tens to a few hundred.
pub const MAX_PATTERNS: usize = 4_000;
/// Bytes of one ignore file read.
pub const MAX_BYTES: u64 = 256 * 1024;

/// Ignore files of one folder and of every folder above it, most specific first.
struct Chain {
    own: Vec<Gitignore>,
    /// Folders above the scanned root are matched with resolved paths; the ones inside it with
    /// the walker's own paths, so the common case builds no path per entry.
    resolved: bool,
    parent: Option<Arc<Chain>>,
}

type FolderKey = u128;

pub struct Ignores {
    /// Tells one `Ignores` from another in the per-thread cache.
    id: u64,
    /// The scanned root as the walker names it, and resolved.
    root: PathBuf,
    abs_root: PathBuf,
    /// The chain in force for the root (folders above it within the repository).
    above: Option<Arc<Chain>>,
    /// The chain in force inside the root: its own files on top of `above`.
    at_root: Option<Arc<Chain>>,
    exclude: Option<Gitignore>,
    /// Folder as the walker names it (by its [`FolderKey`]) -> its chain, from the moment the
    /// walker keeps the folder until it lists the folder's entries.
    chains: Mutex<HashMap<FolderKey, Option<Arc<Chain>>>>,
    keys: (RandomState, RandomState),
    warnings: Mutex<Vec<Warning>>,
    prefix: String,
}

/// `path.parent()` for the walker's paths (names joined with `/`), without parsing them into
/// components: this runs for every walked entry. Anything else takes the general way.
fn parent(path: &Path) -> Option<&Path> {
    match path.to_str() {
        Some(s) if !s.ends_with('/') && !s.contains("//") && !s.ends_with("/.") => match s.rfind('/') {
            Some(0) => Some(Path::new("/")),
            Some(i) => Some(Path::new(&s[..i])),
            None => path.parent(),
        },
        _ => path.parent(),
    }
}

/// The walker filters a folder's entries one after another on one thread: the last folder's
/// chain, per thread, spares a locked map lookup (and a path hash) per entry.
type LastFolder = Option<(u64, PathBuf, Option<Arc<Chain>>)>;
thread_local! {
    static LAST: std::cell::RefCell<LastFolder> = const { std::cell::RefCell::new(None) };
}
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Ignores {
    pub fn new(root: &Path, prefix: &str) -> Ignores {
        let abs_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let mut me = Ignores {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            root: root.to_path_buf(),
            abs_root: abs_root.clone(),
            above: None,
            at_root: None,
            exclude: None,
            chains: Mutex::new(HashMap::new()),
            keys: (RandomState::new(), RandomState::new()),
            warnings: Mutex::new(Vec::new()),
            prefix: prefix.to_string(),
        };
        let top = abs_root.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf);
        if let Some(top) = &top {
            me.exclude = me.load(top, &top.join(".git/info/exclude"));
            // Folders strictly above the root, outermost first, so each links to its parent. (`.git`
            // is a file in worktrees and submodules.)
            let mut above: Vec<&Path> = abs_root.ancestors().skip(1).take_while(|d| d.starts_with(top)).collect();
            above.reverse();
            let mut chain = None;
            for dir in above {
                chain = me.link(dir, true, chain);
            }
            me.above = chain;
        }
        me.at_root = me.link(root, false, me.above.clone());
        me
    }

    /// Whether the walker's entry at `path` is ignored.
    pub fn ignored(&self, path: &Path, is_dir: bool) -> bool {
        let Some(parent) = parent(path) else { return false };
        let chain = self.cached_chain(parent);
        let ignored = self.matched(path, is_dir, chain.as_deref());
        if is_dir && !ignored {
            // The walker lists this folder's entries later, maybe on another thread: its chain
            // waits in the map until then (see `cached_chain`).
            let own = self.link(path, false, chain);
            self.chains.lock().unwrap_or_else(|e| e.into_inner()).insert(self.key(path), own);
        }
        ignored
    }

    fn matched(&self, path: &Path, is_dir: bool, chain: Option<&Chain>) -> bool {
        let mut resolved: Option<PathBuf> = None;
        let mut resolve = || resolved.get_or_insert_with(|| self.resolve(path)).clone();
        let mut link = chain;
        while let Some(c) = link {
            let candidate = if c.resolved { std::borrow::Cow::Owned(resolve()) } else { path.into() };
            for m in &c.own {
                match m.matched(&candidate, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
            link = c.parent.as_deref();
        }
        self.exclude.as_ref().is_some_and(|m| m.matched(resolve(), is_dir).is_ignore())
    }

    /// The resolved path of a walker's path.
    fn resolve(&self, path: &Path) -> PathBuf {
        self.abs_root.join(path.strip_prefix(&self.root).unwrap_or(path))
    }

    /// The chain in force inside `dir`. The walker filters all of a folder's entries in one
    /// go on one thread, so the chain is taken out of the map there (kept per thread in
    /// `LAST`) and lives on only in the chains of the subfolders that link to it: memory
    /// follows the folders still to be walked, not every folder walked so far.
    fn cached_chain(&self, dir: &Path) -> Option<Arc<Chain>> {
        let hit = LAST.with(|last| match &*last.borrow() {
            Some((id, d, chain)) if *id == self.id && d.as_os_str() == dir.as_os_str() => Some(chain.clone()),
            _ => None,
        });
        if let Some(chain) = hit {
            return chain;
        }
        let waiting = self.chains.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.key(dir));
        let chain = waiting.unwrap_or_else(|| self.build(dir));
        LAST.with(|last| *last.borrow_mut() = Some((self.id, dir.to_path_buf(), chain.clone())));
        chain
    }

    pub fn take_warnings(&self) -> Vec<Warning> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// A folder's key in the map: two independently seeded hashes of its path. A path per folder
    /// was most of this map (28k folders on the bench corpus); two random 64-bit hashes agree for
    /// two folders with odds of about one in 2^128, and a tree cannot aim at seeds it never sees.
    fn key(&self, dir: &Path) -> FolderKey {
        let bytes = dir.as_os_str().as_encoded_bytes();
        ((self.keys.0.hash_one(bytes) as u128) << 64) | self.keys.1.hash_one(bytes) as u128
    }

    /// The chain of a folder the walker did not announce (the root, or a path asked about out
    /// of walk order), built from its ancestors' files.
    fn build(&self, dir: &Path) -> Option<Arc<Chain>> {
        if dir == self.root {
            return self.at_root.clone();
        }
        let parent =
            if !dir.starts_with(&self.root) { self.above.clone() } else { dir.parent().and_then(|p| self.build(p)) };
        self.link(dir, false, parent)
    }

    /// `dir`'s own ignore files on top of `parent`; a folder without any shares its parent's.
    fn link(&self, dir: &Path, resolved: bool, parent: Option<Arc<Chain>>) -> Option<Arc<Chain>> {
        let own: Vec<Gitignore> =
            [".ignore", ".gitignore"].iter().filter_map(|name| self.load(dir, &dir.join(name))).collect();
        if own.is_empty() {
            parent
        } else {
            Some(Arc::new(Chain { own, resolved, parent }))
        }
    }

    /// The patterns of one ignore file, bounded; `None` when it is absent or empty.
    fn load(&self, dir: &Path, file: &Path) -> Option<Gitignore> {
        let bytes = crate::limits::read_capped(file, MAX_BYTES + 1).ok()?;
        let mut cut = None;
        let text = if bytes.len() as u64 > MAX_BYTES {
            cut = Some(format!("larger than {} KiB", MAX_BYTES / 1024));
            let end = memchr::memrchr(b'\n', &bytes[..MAX_BYTES as usize]).map(|n| n + 1).unwrap_or(0);
            String::from_utf8_lossy(&bytes[..end]).into_owned()
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let mut builder = GitignoreBuilder::new(dir);
        let mut patterns = 0;
        for line in text.lines() {
            let pattern = line.trim_end();
            if pattern.is_empty() || pattern.starts_with('#') {
                continue;
            }
            if patterns == MAX_PATTERNS {
                cut = Some(format!("more than {MAX_PATTERNS} patterns"));
                break;
            }
            // A pattern git would reject is skipped, as git skips it.
            if builder.add_line(Some(file.to_path_buf()), line).is_ok() {
                patterns += 1;
            }
        }
        if let Some(why) = cut {
            self.warn(
                file,
                format!(
                    "{why}: only its first {patterns} patterns are applied, so files the rest would ignore are scanned"
                ),
            );
        }
        if patterns == 0 {
            return None;
        }
        builder.build().ok()
    }

    fn warn(&self, file: &Path, message: String) {
        let inside = file.strip_prefix(&self.root).or_else(|_| file.strip_prefix(&self.abs_root));
        let path = match inside {
            Ok(rel) => super::walk::display_path(Path::new(""), rel, &self.prefix),
            // Above the root: named from the root, never as an absolute path.
            Err(_) => {
                let up = self.abs_root.ancestors().position(|a| file.starts_with(a)).unwrap_or(0);
                let rel =
                    file.strip_prefix(self.abs_root.ancestors().nth(up).unwrap_or(Path::new("/"))).unwrap_or(file);
                format!("{}{}", "../".repeat(up), rel.display())
            }
        };
        let w = Warning { path, reason: WarningReason::TooLarge, message };
        self.warnings.lock().unwrap_or_else(|e| e.into_inner()).push(w);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_fast_parent_agrees_with_paths_own() {
        for p in ["./a/b.py", "a/b/c", "/abs/x", "/x", "x", ".", "./a", "a//b", "a/b/", "a/./b", "a/..", "a/b/."] {
            let p = std::path::Path::new(p);
            assert_eq!(super::parent(p), p.parent(), "{p:?}");
        }
    }

    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn deepest_folder_wins_and_exclude_comes_last() {
        let dir = tree(&[
            (".git/info/exclude", "*.log\n"),
            (".gitignore", "build/\n*.tmp\n"),
            ("app/.gitignore", "!keep.tmp\n"),
            ("app/.ignore", "secret.txt\n"),
        ]);
        std::fs::create_dir_all(dir.path().join("build")).unwrap();
        let ig = Ignores::new(dir.path(), "");
        let at = |p: &str| dir.path().join(p);
        assert!(ig.ignored(&at("build"), true));
        assert!(ig.ignored(&at("a.tmp"), false));
        assert!(!ig.ignored(&at("app/keep.tmp"), false), "a deeper whitelist re-includes");
        assert!(ig.ignored(&at("app/other.tmp"), false));
        assert!(ig.ignored(&at("app/secret.txt"), false));
        assert!(ig.ignored(&at("x.log"), false));
        assert!(!ig.ignored(&at("main.rs"), false));
        assert!(ig.take_warnings().is_empty());
    }

    #[test]
    fn a_folders_chain_is_kept_only_until_the_walker_lists_it() {
        let dir = tree(&[(".gitignore", "*.tmp\n"), ("app/.gitignore", "*.log\n"), ("app/lib/x.py", "")]);
        let ig = Ignores::new(dir.path(), "");
        let at = |p: &str| dir.path().join(p);
        let waiting = || ig.chains.lock().unwrap().len();
        // In walk order: the root's entries, then app's, then app/lib's.
        assert!(!ig.ignored(&at("app"), true));
        assert_eq!(waiting(), 1, "app's chain waits for app to be listed");
        assert!(ig.ignored(&at("app/a.log"), false));
        assert!(!ig.ignored(&at("app/lib"), true));
        assert_eq!(waiting(), 1, "app's is taken, app/lib's waits");
        assert!(ig.ignored(&at("app/lib/b.tmp"), false), "the root's patterns still apply two levels down");
        assert!(ig.ignored(&at("app/lib/b.log"), false));
        assert!(!ig.ignored(&at("app/lib/x.py"), false));
        assert_eq!(waiting(), 0);
    }

    #[test]
    fn a_subfolder_scan_keeps_the_repositorys_ignores_above_it() {
        let dir = tree(&[(".gitignore", "*.gen.py\n"), ("svc/a.gen.py", "")]);
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        let ig = Ignores::new(&dir.path().join("svc"), "");
        assert!(ig.ignored(&dir.path().join("svc/a.gen.py"), false));
    }

    #[test]
    fn issue13_item15_a_huge_gitignore_is_bounded_and_said() {
        let huge: String = (0..80_000).map(|i| format!("build{i}/**/*.o{}\n", i % 7)).collect();
        let dir = tree(&[(".gitignore", &huge)]);
        let ig = Ignores::new(dir.path(), "");
        assert!(ig.ignored(&dir.path().join("build1/x/y.o1"), false), "the first patterns apply");
        assert!(!ig.ignored(&dir.path().join("build79999/x/y.o1"), false), "the ones past the bound do not");
        let warnings = ig.take_warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].path, ".gitignore");
        assert!(warnings[0].message.contains("only its first"), "{}", warnings[0].message);
    }
}
