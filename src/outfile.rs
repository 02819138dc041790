//! Every file scopesmith writes (scan -o, plan --emit, report -o, --write-baseline, catalog sync and
//! import) goes through [`write`]: a temporary file in the target folder, then a rename. So a
//! full disk or a crash leaves the old file or none, never half of one, and a link planted at
//! the target or as its folder (a scanned tree may be a stranger's) is refused, not written
//! through.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::Error;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Writes `bytes` to `path` atomically; refuses when `path` or its folder is a symbolic link.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let refuse = |why: &str| Error::Usage {
        message: format!("refusing to write {}: {why}", path.display()),
        help: "remove the link, or choose another output path".into(),
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| refuse("it names no file"))?;
    if is_link(path) {
        return Err(refuse("it is a symbolic link"));
    }
    if is_link(dir) {
        return Err(refuse("its folder is a symbolic link"));
    }
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let write_err = |source: std::io::Error| Error::Write { path: path.to_path_buf(), source };
    // `create_new`: a file or link already at the temporary name is an error, never followed.
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp).map_err(write_err)?;
    let done = file.write_all(bytes).and_then(|_| file.sync_all());
    drop(file);
    if let Err(e) = done.and_then(|_| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(write_err(e));
    }
    Ok(())
}

/// Creates `dir` (and its parents) unless it exists; refuses when it is a symbolic link.
pub fn create_dir(dir: &Path) -> Result<PathBuf, Error> {
    if is_link(dir) {
        return Err(Error::Usage {
            message: format!("refusing to write into {}: it is a symbolic link", dir.display()),
            help: "remove the link, or choose another output folder".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    Ok(dir.to_path_buf())
}

fn is_link(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

/// scopesmith's own cache folder: `$XDG_CACHE_HOME/scopesmith`, else `~/.cache/scopesmith` (or
/// under `%LOCALAPPDATA%` on Windows). `catalog sync` writes there; plan and mint read it.
pub fn cache_dir() -> Option<PathBuf> {
    let env_dir = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = env_dir("XDG_CACHE_HOME")
        .or_else(|| env_dir("HOME").map(|h| h.join(".cache")))
        .or_else(|| env_dir("LOCALAPPDATA"))?;
    Some(dir.join("scopesmith"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue13_item12_writes_whole_files_and_refuses_links() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.json");
        write(&target, b"one").unwrap();
        write(&target, b"two").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
        #[cfg(unix)]
        {
            let victim = dir.path().join("victim");
            std::fs::write(&victim, "keep").unwrap();
            let link = dir.path().join("link.json");
            std::os::unix::fs::symlink(&victim, &link).unwrap();
            assert!(write(&link, b"x").is_err());
            let folder = dir.path().join("folder");
            std::os::unix::fs::symlink(dir.path(), &folder).unwrap();
            assert!(write(&folder.join("a.json"), b"x").is_err());
            assert!(create_dir(&folder).is_err());
            assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        }
        assert!(write(&dir.path().join("missing/out.txt"), b"x").is_err(), "a missing folder is an error");
    }
}
