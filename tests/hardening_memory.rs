//! Issue 13 item 5: at most `--max-file-size` bytes of any file in memory after the scan too.
//! A file with a finding, made 1 GiB (sparse: no disk used) past its first lines, goes through
//! suppression handling, `plan` and `fix`; the process's peak memory must stay far below the
//! file's size. Alone in its own test binary, so no other test moves the peak.

use std::path::Path;

/// Peak resident memory of this process (Linux `VmHWM`), in KiB.
#[cfg(target_os = "linux")]
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn issue13_item5_a_huge_file_with_a_finding_is_never_read_whole_again() {
    const GIB: u64 = 1 << 30;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deploy.sh");
    let mut head = String::new();
    for _ in 0..200 {
        head.push_str("curl -H \"X-Auth-Key: $CF_API_KEY\" https://api.cloudflare.com/client/v4/zones # scopesmith:ignore[all] kept\n\n");
        head.push_str(
            "curl -H \"X-Auth-Key: $CF_API_KEY\" https://api.cloudflare.com/client/v4/zones/$ZONE/purge_cache\n",
        );
    }
    std::fs::write(&path, &head).unwrap();
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(GIB).unwrap();

    let rules = scopesmith::rules::RuleSet::load(&[]).unwrap();
    let opts = scopesmith::scan::ScanOptions { max_file_size: 1 << 20, ..Default::default() };
    let roots = [dir.path().to_path_buf()];
    let mut result = scopesmith::scan::scan(&roots, &rules.detect, &opts).unwrap();
    assert!(!result.findings.is_empty());
    let ids: Vec<&str> = rules.detect.iter().map(|r| r.id.as_str()).collect();
    let settings = scopesmith::ci::GateSettings {
        fail_on: scopesmith::finding::Severity::Low,
        baseline: None,
        write_baseline: None,
        diff_base: None,
        suppress: true,
        max_file_size: 1 << 20,
    };
    let tally = scopesmith::ci::narrow(&mut result, &roots, &ids, &settings).unwrap();
    assert_eq!(tally.suppressed, 200, "suppressions are still read");
    let plan = scopesmith::infer::plan(&result, &rules.knowledge);
    let _fixes = scopesmith::fix::plan(&result, &plan, &rules.knowledge.rewrites);
    let peak = peak_kib();
    assert!(peak < 256 * 1024, "peak memory {peak} KiB for a 1 GiB file under a 1 MiB cap");
    assert!(Path::new(&path).exists());
}
