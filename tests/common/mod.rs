//! The built binary as every test file runs it: with no `catalog sync` cache ([`scopesmith`],
//! [`bin`]), and, for the test files that feed it hostile input (`hardening.rs`, `hostile.rs`),
//! with a deadline ([`run`]): a run past the deadline is killed and fails as a hang, and a
//! panic or a death by signal fails the test whatever the exit code.
#![allow(dead_code)] // each test file uses its own part of this

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Long enough for a loaded 2-core CI machine; a hang blows it.
pub const DEADLINE: Duration = Duration::from_secs(60);

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr))
    }
}

/// Arguments of any string or path type.
#[allow(unused_macros)]
macro_rules! args {
    ($($a:expr),* $(,)?) => { vec![$(std::ffi::OsString::from($a)),*] };
}

/// A folder with no `catalog sync` cache in it, made `XDG_CACHE_HOME` and `HOME` of every run,
/// so no test picks up the permission-group ids of the developer's own cache. A test that
/// wants a cache sets `XDG_CACHE_HOME` again.
pub fn no_cache_home() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-cache-home");
    std::fs::create_dir_all(&dir).expect("create the empty home");
    assert!(
        !dir.join("scopesmith").join("permission-groups.json").exists(),
        "{} holds a cache: a test wrote one there",
        dir.display()
    );
    dir
}

/// The scopesmith binary, as a command to configure (folder, environment) before [`run`].
pub fn scopesmith() -> Command {
    let home = no_cache_home();
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("scopesmith"));
    cmd.env("XDG_CACHE_HOME", &home).env("HOME", &home);
    cmd
}

/// [`scopesmith`] as an `assert_cmd` command.
pub fn bin() -> assert_cmd::Command {
    assert_cmd::Command::from_std(scopesmith())
}

/// Runs `cmd` with `args`, no stdin, both outputs captured, within [`DEADLINE`].
pub fn run(mut cmd: Command, args: &[OsString]) -> Run {
    let mut child = cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped")));
    let err = drain(Box::new(child.stderr.take().expect("piped")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("scopesmith {args:?} still running after {DEADLINE:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        took: start.elapsed(),
    };
    assert!(!run.stderr.contains("panicked"), "scopesmith {args:?} panicked:\n{}", run.stderr);
    assert!(status.code().is_some(), "scopesmith {args:?} was killed by a signal (an abort):\n{}", run.stderr);
    run
}
