//! Go: keep a patched file as gofmt prints it. Renaming `"X-Auth-Key"` to `"Authorization"`
//! or dropping the `"X-Auth-Email"` entry changes the width of a key column, and gofmt aligns
//! the values of consecutive `"key": value,` lines in a composite literal.

use std::sync::LazyLock;

use regex::Regex;

static ENTRY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^(\t+)("(?:[^"\\]|\\.)*"):(\s+)(\S.*,)$"#).expect("go entry pattern"));

/// Values of consecutive one-line `"key": value,` entries at one indentation, aligned.
fn realign(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut i = 0;
    while i < lines.len() {
        let Some(c) = ENTRY.captures(lines[i].trim_end_matches(['\n', '\r'])) else {
            i += 1;
            continue;
        };
        let indent = c[1].to_string();
        let mut j = i;
        let mut width = 0;
        while j < lines.len() {
            match ENTRY.captures(lines[j].trim_end_matches(['\n', '\r'])) {
                Some(d) if d[1] == indent => width = width.max(d[2].chars().count()),
                _ => break,
            }
            j += 1;
        }
        for (k, line) in lines.iter().enumerate().take(j).skip(i) {
            let body = line.trim_end_matches(['\n', '\r']);
            let end = &line[body.len()..];
            let d = ENTRY.captures(body).expect("matched above");
            let pad = " ".repeat(width - d[2].chars().count() + 1);
            out[k] = format!("{}{}:{pad}{}{end}", &d[1], &d[2], &d[4]);
        }
        i = j;
    }
    out.concat()
}

/// `new` realigned, when the file was aligned that way before the patch (a file that never
/// went through gofmt keeps its own layout).
pub fn keep_layout(old: &str, new: &str) -> String {
    if realign(old) == old {
        realign(new)
    } else {
        new.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_realign_after_a_key_changes() {
        let old =
            "\th := map[string]string{\n\t\t\"X-Auth-Key\":   k,\n\t\t\"Content-Type\": \"application/json\",\n\t}\n";
        let new = "\th := map[string]string{\n\t\t\"Authorization\":   \"Bearer \" + k,\n\t\t\"Content-Type\": \"application/json\",\n\t}\n";
        assert_eq!(
            keep_layout(old, new),
            "\th := map[string]string{\n\t\t\"Authorization\": \"Bearer \" + k,\n\t\t\"Content-Type\":  \"application/json\",\n\t}\n"
        );
    }
}
