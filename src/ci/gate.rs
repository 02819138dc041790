//! The CI verdict: do the findings left after every filter fail the gate?

use crate::finding::{Finding, Severity};

/// True when a finding is at or above `fail_on`. Findings below it are still reported.
pub fn fails(findings: &[Finding], fail_on: Severity) -> bool {
    findings.iter().any(|f| f.severity >= fail_on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::baseline::tests::finding;

    #[test]
    fn only_findings_at_or_above_the_threshold_fail() {
        let mut low = finding("r", "a", 1, "1");
        low.severity = Severity::Low;
        let mut high = finding("r", "a", 2, "2");
        high.severity = Severity::High;
        assert!(!fails(&[low.clone()], Severity::High));
        assert!(fails(&[low.clone(), high], Severity::High));
        assert!(fails(&[low], Severity::Low));
        assert!(!fails(&[], Severity::Low));
    }
}
