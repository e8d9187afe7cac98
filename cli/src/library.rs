//! `segue info` and `segue demo`.

use std::path::{Path, PathBuf};

use anyhow::bail;

use segue::Library;
use segue::info::LibraryInfo;

use crate::demo::{DemoOptions, DemoSource};

pub fn info(dir: &Path, json: bool, verify: bool) -> anyhow::Result<()> {
    // Looking, not searching: the walks' data need not be copied into memory.
    let lib = Library::open_with(dir, segue::WalkMemory::Mapped)?;
    let info = LibraryInfo::of(&lib, verify)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        print!("{}", crate::render::info(&info));
    }
    Ok(())
}

pub fn demo(dir: PathBuf, source: &str) -> anyhow::Result<()> {
    let source = match source {
        "auto" => DemoSource::Auto,
        "real" => DemoSource::Real,
        "generated" => DemoSource::Generated,
        other => bail!("unknown --source {other:?} (auto, real, generated)"),
    };
    let opts = DemoOptions {
        dir,
        source,
        progress: crate::progress::wanted(),
        ..DemoOptions::default()
    };
    print!("{}", crate::demo::run(&opts)?);
    Ok(())
}
