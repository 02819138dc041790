//! The built binary run with a deadline, for the test files that feed it hostile input
//! (`hardening.rs`, `hostile.rs`): a run past the deadline is killed and fails as a hang, and
//! a panic or a death by signal fails the test whatever the exit code.
#![allow(dead_code)] // each test file uses its own part of this

use std::ffi::OsString;
use std::io::Read;
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
macro_rules! args {
    ($($a:expr),* $(,)?) => { vec![$(std::ffi::OsString::from($a)),*] };
}

/// The scopesmith binary, as a command to configure (folder, environment) before [`run`].
pub fn scopesmith() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("scopesmith"))
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
