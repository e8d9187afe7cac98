//! The README's library example is `examples/quick_start.rs` (which `cargo test` compiles),
//! word for word: a change to one without the other fails here.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The lines between `begin` and `end` (exclusive), with the common indentation removed.
fn between<'a>(lines: impl Iterator<Item = &'a str>, begin: &str, end: &str) -> Vec<String> {
    let block: Vec<&str> = lines
        .skip_while(|l| l.trim() != begin)
        .skip(1)
        .take_while(|l| l.trim() != end)
        .collect();
    let indent = block
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    block
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end().to_string())
        .collect()
}

#[test]
fn the_readme_library_example_is_the_compiled_example() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let example = std::fs::read_to_string(root().join("engine/examples/quick_start.rs")).unwrap();
    let in_readme: Vec<String> = {
        let after = readme
            .split("## Using the library from Rust")
            .nth(1)
            .expect("the README has the library section");
        between(after.lines(), "```rust", "```")
    };
    let in_example = between(example.lines(), "// README begin", "// README end");
    assert!(!in_example.is_empty());
    assert_eq!(
        in_readme, in_example,
        "README.md's library example differs from engine/examples/quick_start.rs"
    );
}
