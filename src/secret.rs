//! The one type that holds a secret value found in a scanned file.
//!
//! Only the scanner constructs a [`Secret`]; every other stage sees it through `Display`,
//! `Debug` and `Serialize`, which all show the redacted form (first four characters and the
//! length). So no report, log or patch can print a key in full by accident.

use std::fmt;

use serde::{Serialize, Serializer};

/// How many leading characters of a secret may be shown.
const SHOWN: usize = 4;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// `3f2a…(37 chars)`: enough to tell two keys apart in a report, useless to an attacker.
    pub fn redacted(&self) -> String {
        let shown: String = self.0.chars().take(SHOWN).collect();
        format!("{shown}…({} chars)", self.0.chars().count())
    }

    /// The same width as the secret, for source excerpts whose columns must stay right.
    pub fn masked(&self) -> String {
        let mut out: String = self.0.chars().take(SHOWN).collect();
        out.extend(std::iter::repeat_n('*', self.0.chars().count().saturating_sub(SHOWN)));
        out
    }

    /// The raw value, for the few places that must use it (online verification) and tests.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1f0d9e";

    #[test]
    fn no_form_shows_the_whole_value() {
        let s = Secret::new(KEY);
        for shown in [s.to_string(), format!("{s:?}"), serde_json::to_string(&s).unwrap(), s.masked()] {
            assert!(!shown.contains(KEY), "{shown}");
            assert!(shown.contains("0d6e"), "{shown}");
        }
        assert_eq!(s.redacted(), "0d6e…(37 chars)");
        assert_eq!(s.masked().len(), KEY.len());
    }
}
