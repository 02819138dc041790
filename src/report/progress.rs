//! The progress bar's rate, as a whole number with thousands separators (`58,664 files/s`):
//! indicatif's own `{per_sec}` prints every decimal it has (`58,664.5794/s`).

use std::fmt::Write;

use indicatif::ProgressState;

/// indicatif template key `{rate}`.
pub fn rate(state: &ProgressState, w: &mut dyn Write) {
    let _ = w.write_str(&grouped(state.per_sec().max(0.0).round() as u64));
}

/// `58664` -> `58,664`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn rates_are_whole_numbers_in_groups_of_three() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(58_664), "58,664");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }
}
