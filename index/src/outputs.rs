//! Where a command may write its own output files (a rejects file, a plan export, a report):
//! never inside a library directory except its `reports/` folder, and never over a file the
//! same command reads. Either would let one command destroy a library or the user's catalogue
//! (`--rejects LIBRARY/MANIFEST.json`, `--parquet` naming the catalogue being read).

use std::path::{Path, PathBuf};

use crate::error::{IndexError, Result};
use crate::layout::REPORTS_DIR;
use crate::manifest::{MANIFEST_BACKUP_FILE, MANIFEST_FILE};

/// Checks that output `path` (given as `option`, e.g. `--rejects`) is neither inside a library
/// directory (other than its `reports/` folder) nor one of `inputs`.
/// `libraries` are the libraries the command works on; any other library directory above
/// `path` is found by its manifest.
pub fn check_output(
    option: &str,
    path: &Path,
    libraries: &[&Path],
    inputs: &[&Path],
) -> Result<()> {
    let target = resolved(path);
    for input in inputs {
        if same_file(&target, &resolved(input)) {
            return Err(IndexError::InvalidArgument(format!(
                "{option} {}: that is also an input of this command ({}); choose another file",
                path.display(),
                input.display()
            )));
        }
    }
    let mut libraries: Vec<PathBuf> = libraries.iter().map(|l| resolved(l)).collect();
    // A library the command does not name, found by its manifest in a folder above.
    libraries.extend(
        target
            .ancestors()
            .skip(1)
            .filter(|d| is_library(d))
            .map(Path::to_path_buf),
    );
    for lib in &libraries {
        if target.starts_with(lib) && !target.starts_with(lib.join(REPORTS_DIR)) {
            return Err(IndexError::InvalidArgument(format!(
                "{option} {}: inside the library {}, whose files only Segue may write; write it \
                 outside the library (or under {})",
                path.display(),
                lib.display(),
                lib.join(REPORTS_DIR).display()
            )));
        }
    }
    Ok(())
}

fn is_library(dir: &Path) -> bool {
    dir.join(MANIFEST_FILE).is_file() || dir.join(MANIFEST_BACKUP_FILE).is_file()
}

/// `path` made absolute with symbolic links resolved as far as it exists (an output file
/// usually does not exist yet; its folder usually does).
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    if let Ok(real) = absolute.canonicalize() {
        return real;
    }
    let mut missing = Vec::new();
    let mut existing = absolute.as_path();
    while let Some(parent) = existing.parent() {
        missing.push(existing.file_name().map(PathBuf::from).unwrap_or_default());
        if let Ok(real) = parent.canonicalize() {
            return missing.iter().rev().fold(real, |acc, part| acc.join(part));
        }
        existing = parent;
    }
    absolute
}

/// The same path, or two names of one file (a hard link).
fn same_file(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_inside_a_library_or_over_an_input_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let lib = tmp.path().join("lib");
        std::fs::create_dir_all(lib.join("vectors")).unwrap();
        std::fs::write(lib.join(MANIFEST_FILE), b"{}").unwrap();
        let catalogue = tmp.path().join("cat.csv");
        std::fs::write(&catalogue, b"x").unwrap();
        let refused = |p: &Path, named: &[&Path]| {
            check_output("--out", p, named, &[&catalogue])
                .unwrap_err()
                .to_string()
        };
        for named in [&[lib.as_path()][..], &[]] {
            let e = refused(&lib.join(MANIFEST_FILE), named);
            assert!(e.contains("inside the library"), "{e}");
            let e = refused(&lib.join("vectors/audio_emb.v000001.f32"), named);
            assert!(e.contains("inside the library"), "{e}");
            let e = refused(&lib.join("new/x.parquet"), named);
            assert!(e.contains("inside the library"), "{e}");
            check_output("--out", &lib.join("reports/r.jsonl"), named, &[]).unwrap();
        }
        let e = refused(&catalogue, &[]);
        assert!(e.contains("also an input"), "{e}");
        // Another name of the same file.
        let dotted = tmp.path().join("lib/../cat.csv");
        assert!(refused(&dotted, &[]).contains("also an input"));
        let linked = tmp.path().join("link.csv");
        std::fs::hard_link(&catalogue, &linked).unwrap();
        assert!(refused(&linked, &[]).contains("also an input"));
        check_output(
            "--out",
            &tmp.path().join("rejects.jsonl"),
            &[&lib],
            &[&catalogue],
        )
        .unwrap();
    }
}
