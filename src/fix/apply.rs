//! `fix --apply`: every edit written, or none.
//!
//! Two phases. First every target is opened and checked: reached from a scanned root through
//! directory handles, one path component at a time with `O_NOFOLLOW` (a symlink anywhere on the
//! way is refused, and `..` never appears), a regular file, writable, its content exactly what
//! the scan read. Only when every target passes does the second phase write, each file as a
//! temporary file created with `O_EXCL` in the *same directory handle* and renamed over the
//! target with `renameat`. No path is resolved again between the check and the write, so
//! swapping a folder for a symlink in between cannot redirect a write outside the tree (issue
//! 13, item 8). On any failure the files already written get their old content back, the same
//! way. Owner, group and mode are kept; line endings are the planner's business (`mod.rs`
//! keeps them).

use std::path::{Component, Path, PathBuf};

use super::FileEdit;

/// Why a target cannot be written; every refused file is listed, not just the first.
fn refused(problems: &[String]) -> crate::Error {
    crate::Error::Usage {
        message: format!(
            "fix --apply wrote nothing: {} file{} cannot be written safely:\n  {}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            problems.join("\n  ")
        ),
        help: "fix the listed files by hand, or make them regular writable files inside the scanned folder and run `scopesmith fix --apply` again".into(),
    }
}

/// The components of `real` below one of `roots`, and that root. Lexical first (the walk
/// joins roots and relative paths), then through the canonical forms; either way the
/// components are then walked with `O_NOFOLLOW`, so a link inside the tree is refused.
fn relative_to_root(real: &Path, roots: &[PathBuf]) -> Option<(PathBuf, Vec<std::ffi::OsString>)> {
    let split = |rel: &Path| -> Option<Vec<std::ffi::OsString>> {
        let mut out = Vec::new();
        for c in rel.components() {
            match c {
                Component::Normal(n) => out.push(n.to_os_string()),
                Component::CurDir => {}
                _ => return None,
            }
        }
        (!out.is_empty()).then_some(out)
    };
    for root in roots {
        if let Ok(rel) = real.strip_prefix(root) {
            if let Some(parts) = split(rel) {
                return Some((root.clone(), parts));
            }
        }
    }
    // A root given as `.` or through a link: compare canonical folders, the file name as is.
    let parent = real.parent()?.canonicalize().ok()?;
    let name = real.file_name()?;
    for root in roots {
        let Ok(croot) = root.canonicalize() else { continue };
        if let Ok(rel) = parent.strip_prefix(&croot) {
            if let Some(mut parts) = split(rel).or_else(|| rel.as_os_str().is_empty().then(Vec::new)) {
                parts.push(name.to_os_string());
                return Some((root.clone(), parts));
            }
        }
    }
    None
}

#[cfg(unix)]
mod imp {
    use std::ffi::OsString;
    use std::io::{Read, Write};
    use std::os::fd::OwnedFd;
    use std::path::PathBuf;

    use rustix::fs::{self as rfs, AtFlags, Mode, OFlags};

    use super::FileEdit;

    /// A checked target: the folder handle it lives in and what it was when checked.
    pub struct Target<'a> {
        pub edit: &'a FileEdit,
        dir: OwnedFd,
        name: OsString,
        dev: u64,
        ino: u64,
        mode: u32,
        uid: u32,
        gid: u32,
    }

    fn open_dir(at: &OwnedFd, name: &OsString) -> std::io::Result<OwnedFd> {
        rfs::openat(at, name, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| {
                if e == rustix::io::Errno::NOTDIR || e == rustix::io::Errno::LOOP {
                    std::io::Error::other(format!(
                        "`{}` on the way is a symbolic link or not a folder",
                        name.to_string_lossy()
                    ))
                } else {
                    e.into()
                }
            })
    }

    /// Opens and checks one target. Err: the reason, for the user.
    pub fn check<'a>(edit: &'a FileEdit, root: &PathBuf, parts: &[OsString]) -> Result<Target<'a>, String> {
        let (name, dirs) = parts.split_last().ok_or("not below the scanned root")?;
        let mut dir: OwnedFd = rfs::open(root, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| format!("cannot open the scanned root: {e}"))?;
        for d in dirs {
            dir = open_dir(&dir, d).map_err(|e| e.to_string())?;
        }
        let fd = rfs::openat(
            &dir,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            rustix::io::Errno::LOOP => "it is a symbolic link".to_string(),
            e => format!("cannot open it: {e}"),
        })?;
        let st = rfs::fstat(&fd).map_err(|e| format!("cannot stat it: {e}"))?;
        if rfs::FileType::from_raw_mode(st.st_mode) != rfs::FileType::RegularFile {
            return Err("it is not a regular file".into());
        }
        if st.st_mode & 0o200 == 0 {
            return Err("it is read-only (its owner cannot write it): make it writable if it should be fixed".into());
        }
        if st.st_nlink > 1 {
            return Err("it has other hard links, which a rewrite would split from it".into());
        }
        let mut file = std::fs::File::from(fd);
        let mut now = Vec::new();
        file.read_to_end(&mut now).map_err(|e| format!("cannot read it: {e}"))?;
        if now != edit.old.as_bytes() {
            return Err("it changed since it was scanned".into());
        }
        // Writable by us: the folder must take a new file, the file must open for writing.
        rfs::openat(&dir, name, OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| format!("it is not writable: {e}"))?;
        Ok(Target {
            edit,
            dir,
            name: name.clone(),
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            mode: st.st_mode as u32 & 0o7777,
            uid: st.st_uid as u32,
            gid: st.st_gid as u32,
        })
    }

    fn tmp_name(name: &OsString) -> OsString {
        let mut t = OsString::from(".");
        t.push(name);
        t.push(format!(".scopesmith-{}.tmp", std::process::id()));
        t
    }

    /// Writes `text` over the target through its folder handle: temporary file, same owner
    /// and mode, fsync, `renameat`. `expect_same`: the file must still be the checked one.
    pub fn write(t: &Target<'_>, text: &str, expect_same: bool) -> std::io::Result<()> {
        if expect_same {
            let st = rfs::statat(&t.dir, &t.name, AtFlags::SYMLINK_NOFOLLOW)?;
            if st.st_dev as u64 != t.dev || st.st_ino as u64 != t.ino {
                return Err(std::io::Error::other("it was replaced since it was checked"));
            }
        }
        let tmp = tmp_name(&t.name);
        // `EXCL` + `NOFOLLOW`: a file or link planted at the temporary name is an error,
        // never written through. Owner-only until the file's own mode is set.
        let fd = rfs::openat(
            &t.dir,
            &tmp,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )?;
        let result = (|| {
            let mut file = std::fs::File::from(fd);
            file.write_all(text.as_bytes())?;
            let owner = (rustix::process::geteuid().as_raw() != t.uid).then(|| rfs::Uid::from_raw(t.uid));
            let group = (rustix::process::getegid().as_raw() != t.gid).then(|| rfs::Gid::from_raw(t.gid));
            if owner.is_some() || group.is_some() {
                rfs::fchown(&file, owner, group)
                    .map_err(|e| std::io::Error::other(format!("cannot keep its owner and group: {e}")))?;
            }
            rfs::fchmod(&file, Mode::from_raw_mode(t.mode))?;
            file.sync_all()?;
            rfs::renameat(&t.dir, &tmp, &t.dir, &t.name)?;
            Ok(())
        })();
        if result.is_err() {
            let _ = rfs::unlinkat(&t.dir, &tmp, AtFlags::empty());
        }
        result
    }
}

/// Checks every edit, then writes them all; on a failure restores what was written.
#[cfg(unix)]
pub fn apply(edits: &[FileEdit], roots: &[PathBuf]) -> Result<usize, crate::Error> {
    let mut targets = Vec::new();
    let mut problems = Vec::new();
    for e in edits {
        let checked = match relative_to_root(&e.real, roots) {
            Some((root, parts)) => imp::check(e, &root, &parts),
            None => Err("it is outside the scanned roots".into()),
        };
        match checked {
            Ok(t) => targets.push(t),
            Err(why) => problems.push(format!("{}: {why}", e.path)),
        }
    }
    if !problems.is_empty() {
        return Err(refused(&problems));
    }
    for (n, t) in targets.iter().enumerate() {
        if let Err(err) = imp::write(t, &t.edit.new, true) {
            let mut unrestored = Vec::new();
            for done in &targets[..n] {
                if let Err(e) = imp::write(done, &done.edit.old, false) {
                    unrestored.push(format!("{} ({e})", done.edit.path));
                }
            }
            let restored = if unrestored.is_empty() {
                format!("the {n} file{} written before it were restored", if n == 1 { "" } else { "s" })
            } else {
                format!("COULD NOT RESTORE: {}", unrestored.join(", "))
            };
            return Err(crate::Error::Usage {
                message: format!("fix --apply stopped at {}: {err}; {restored}", t.edit.path),
                help:
                    "nothing is half-migrated unless listed above; fix the cause and run `scopesmith fix --apply` again"
                        .into(),
            });
        }
    }
    Ok(targets.len())
}

/// Other systems: the same checks by path (no directory handles), then the same write.
#[cfg(not(unix))]
pub fn apply(edits: &[FileEdit], roots: &[PathBuf]) -> Result<usize, crate::Error> {
    let mut problems = Vec::new();
    for e in edits {
        let ok = relative_to_root(&e.real, roots).is_some()
            && std::fs::symlink_metadata(&e.real).is_ok_and(|m| m.is_file() && !m.permissions().readonly())
            && std::fs::read_to_string(&e.real).is_ok_and(|t| t == e.old);
        if !ok {
            problems.push(format!("{}: not a writable regular file inside the root, unchanged since the scan", e.path));
        }
    }
    if !problems.is_empty() {
        return Err(refused(&problems));
    }
    for (n, e) in edits.iter().enumerate() {
        if let Err(err) = std::fs::write(&e.real, &e.new) {
            for done in &edits[..n] {
                let _ = std::fs::write(&done.real, &done.old);
            }
            return Err(crate::Error::Write { path: e.real.clone(), source: err });
        }
    }
    Ok(edits.len())
}
