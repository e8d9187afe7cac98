//! `segue repair`: rebuild a library's derived files (and, if needed, its manifest) from Lance.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use segue::index::writer::ManifestSource;

#[derive(Debug, Args)]
pub struct RepairArgs {
    #[arg(long)]
    library: PathBuf,
}

pub fn run(args: RepairArgs) -> anyhow::Result<()> {
    let report = segue::repair(&args.library)
        .with_context(|| format!("repairing {}", args.library.display()))?;
    for problem in &report.manifest_problems {
        eprintln!("found: {problem}");
    }
    let source = match report.manifest_source {
        ManifestSource::Published => "the published manifest",
        ManifestSource::Backup => "the manifest's backup copy",
        ManifestSource::RebuiltFromLance => {
            "a manifest rebuilt from Lance (the history of earlier ingests is lost)"
        }
    };
    let m = &report.manifest;
    println!(
        "{}: repaired from {source}: version {} with {} tracks; vector files, graphs ({}) and \
         text index ({}) rebuilt from Lance",
        args.library.display(),
        m.library_version,
        m.rows,
        m.ann.len(),
        if m.text_index.is_some() {
            "yes"
        } else {
            "none"
        },
    );
    Ok(())
}
