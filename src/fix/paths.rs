//! Where the printed diff's paths start: the repository root, so that
//! `scopesmith fix sub/ | git apply` works from the top of the checkout.

use std::path::Path;

/// The prefix (`sub/dir/`, or empty) that turns a path relative to the scanned root into one
/// relative to the repository root: the nearest folder above holding `.git`. Outside a
/// repository, a relative root as written (paths then apply from the current folder).
/// Several roots: their display paths already name each root, so no prefix.
pub fn repo_prefix(roots: &[std::path::PathBuf]) -> String {
    let [root] = roots else { return String::new() };
    let dir = if root.is_file() { root.parent().unwrap_or(Path::new("")) } else { root.as_path() };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let join = |rel: &Path| {
        let s = rel.to_string_lossy().replace('\\', "/");
        let s = s.trim_start_matches("./").trim_matches('/');
        if s.is_empty() || s == "." {
            String::new()
        } else {
            format!("{s}/")
        }
    };
    if let Ok(canon) = dir.canonicalize() {
        for up in canon.ancestors() {
            if up.join(".git").exists() {
                return canon.strip_prefix(up).map(join).unwrap_or_default();
            }
        }
    }
    if dir.is_relative()
        && dir.components().all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir))
    {
        return join(dir);
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_the_root_below_the_checkout() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join(".git")).unwrap();
        std::fs::create_dir_all(tmp.path().join("deploy/scripts")).unwrap();
        assert_eq!(repo_prefix(&[tmp.path().join("deploy/scripts")]), "deploy/scripts/");
        assert_eq!(repo_prefix(&[tmp.path().to_path_buf()]), "");
    }
}
