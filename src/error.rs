//! Errors that stop a command (exit 2). A finding is never an error.

use std::path::{Path, PathBuf};

use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    #[error("{message}")]
    #[diagnostic(code(scopesmith::usage))]
    Usage {
        message: String,
        #[help]
        help: String,
    },

    #[error("cannot read {}", path.display())]
    #[diagnostic(code(scopesmith::io), help("check that the path exists and is readable"))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot write {}", path.display())]
    #[diagnostic(code(scopesmith::io), help("check that the directory exists and is writable"))]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Rules(#[from] crate::rules::RuleErrors),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Rule(#[from] crate::rules::RuleError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Baseline(#[from] Box<crate::ci::baseline::BaselineError>),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] Box<crate::ci::config::ConfigError>),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Diff(#[from] crate::ci::diff::DiffError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Cache(#[from] crate::rules::synced::CacheError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    #[cfg(feature = "online")]
    Api(#[from] crate::api::ApiError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Saved(#[from] Box<crate::report::saved::SavedError>),
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io { path: path.to_path_buf(), source }
    }
}

/// Byte offset of a 1-based line and column as serde_json reports them (clamped to the text).
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (offset + column.saturating_sub(1)).min(text.len());
        }
        offset += l.len();
    }
    text.len()
}
