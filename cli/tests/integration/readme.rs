//! Every `segue` command line in the README names a subcommand and flags the program has.

use std::collections::BTreeSet;
use std::process::Command;

/// (subcommand words, flags) of each `segue …` line of the README's shell blocks.
fn readme_commands() -> Vec<(Vec<String>, BTreeSet<String>)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut current: Option<(Vec<String>, BTreeSet<String>)> = None;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = line.trim() == "```sh";
            out.extend(current.take());
            continue;
        }
        if !in_sh {
            continue;
        }
        let line = line.split('#').next().unwrap_or("");
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&"segue") {
            out.extend(current.take());
            let mut sub = vec![words.get(1).copied().unwrap_or("").to_string()];
            if sub[0] == "fixtures" {
                sub.push(words.get(2).copied().unwrap_or("").to_string());
            }
            current = Some((sub, BTreeSet::new()));
        }
        if let Some((_, flags)) = current.as_mut() {
            for w in &words {
                let w = w.trim_matches(|c| "[]()|".contains(c));
                if let Some(flag) = w.strip_prefix("--") {
                    let flag = flag.split(['=', '[', ']', ')', '|']).next().unwrap_or("");
                    if !flag.is_empty() {
                        flags.insert(format!("--{flag}"));
                    }
                }
            }
        }
        // A command ends at a line that is not continued by an indented option line.
        if words.is_empty() {
            out.extend(current.take());
        }
    }
    out.extend(current);
    out.retain(|(sub, _)| !sub[0].starts_with('<') && !sub[0].is_empty());
    out
}

#[test]
fn every_command_line_in_the_readme_names_real_subcommands_and_flags() {
    let commands = readme_commands();
    assert!(commands.len() >= 15, "{commands:?}");
    for (sub, flags) in commands {
        let out = Command::new(env!("CARGO_BIN_EXE_segue"))
            .args(&sub)
            .arg("--help")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "segue {sub:?} --help: {help}");
        for flag in flags.iter().filter(|f| *f != "--help") {
            assert!(
                help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                "README: `segue {}` has no {flag}:\n{help}",
                sub.join(" ")
            );
        }
    }
}
