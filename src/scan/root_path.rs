//! Files named on the command line (pre-commit passes `deploy/purge.sh`) are reported by their
//! path from the repository root, as a scan of the whole tree reports them, so baselines and
//! suppressions written by one match the other; and `exclude:` applies to them as it does to
//! files found by the walk.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

/// Markers of the folder that paths are relative to: a repository or a scopesmith config.
const ROOT_MARKERS: &[&str] = &[".git", ".scopesmith.yaml", ".scopesmith.yml"];

/// How a file given as a scan root is displayed: relative to the nearest enclosing repository
/// (or config) root; without one, as given (minus `./`).
pub fn display_for_file(file: &Path) -> String {
    let given = file.to_string_lossy().replace('\\', "/");
    let given = given.trim_start_matches("./").to_string();
    let Ok(abs) = file.canonicalize() else { return given };
    let mut dir: Option<PathBuf> = abs.parent().map(Path::to_path_buf);
    while let Some(d) = dir {
        if ROOT_MARKERS.iter().any(|m| d.join(m).exists()) {
            if let Ok(rel) = abs.strip_prefix(&d) {
                return rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            }
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    given
}

/// `exclude:` globs as the walk reads them (gitignore style): a pattern without `/` matches any
/// path component, one with `/` the path from the root; a matched folder excludes what is in it.
pub struct Excludes {
    globs: Vec<(GlobMatcher, bool)>,
}

impl Excludes {
    pub fn new(patterns: &[String]) -> Excludes {
        let globs = patterns
            .iter()
            .filter_map(|p| {
                let anchored = p.trim_end_matches('/').contains('/');
                let pat = p.trim_start_matches('/').trim_end_matches('/');
                let glob = GlobBuilder::new(pat).literal_separator(anchored).build().ok()?;
                Some((glob.compile_matcher(), anchored))
            })
            .collect();
        Excludes { globs }
    }

    /// Whether `display` (`/`-separated, from the root) is excluded.
    pub fn excludes(&self, display: &str) -> bool {
        let parts: Vec<&str> = display.split('/').collect();
        self.globs.iter().any(|(glob, anchored)| {
            if *anchored {
                (1..=parts.len()).any(|n| glob.is_match(parts[..n].join("/")))
            } else {
                parts.iter().any(|p| glob.is_match(p))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes_read_like_gitignore() {
        let ex = Excludes::new(&["fixtures/**".into(), "*.md".into(), "vendor/".into(), "deploy/old.sh".into()]);
        assert!(ex.excludes("fixtures/a/b.sh"));
        assert!(ex.excludes("docs/README.md"));
        assert!(ex.excludes("vendor/lib/x.py"));
        assert!(ex.excludes("deploy/old.sh"));
        assert!(!ex.excludes("deploy/purge.sh"));
        assert!(!ex.excludes("src/fixtures.rs"));
    }

    #[test]
    fn a_file_is_shown_from_its_repository_root() {
        let dir = std::env::temp_dir().join(format!("scopesmith-root-path-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("deploy")).unwrap();
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        std::fs::write(dir.join("deploy/purge.sh"), "echo\n").unwrap();
        assert_eq!(display_for_file(&dir.join("deploy/purge.sh")), "deploy/purge.sh");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
