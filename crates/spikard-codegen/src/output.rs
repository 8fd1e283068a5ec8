//! Generated files, written all at once: everything goes into a temporary directory next
//! to the destination, which then replaces it, so a failure leaves nothing half-written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{CodegenError, Result};

/// Relative path → content, in path order (so writing is deterministic too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files(pub BTreeMap<PathBuf, String>);

impl Files {
    pub fn add(&mut self, path: impl Into<PathBuf>, content: impl Into<String>) {
        self.0.insert(path.into(), content.into());
    }

    pub fn get(&self, path: &str) -> Option<&str> {
        self.0.get(Path::new(path)).map(String::as_str)
    }

    /// Write into `dest`, which must not exist or be an empty directory unless `force`
    /// (then its previous content is replaced).
    pub fn write(&self, dest: &Path, force: bool) -> Result<()> {
        if dest.exists() {
            let empty = dest.is_dir()
                && std::fs::read_dir(dest)
                    .map_err(|e| CodegenError::io(format!("reading {}", dest.display()), e))?
                    .next()
                    .is_none();
            if !empty && !force {
                return Err(CodegenError::Usage(format!(
                    "{} exists and is not empty (--force replaces it)",
                    dest.display()
                )));
            }
        }
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| CodegenError::io(format!("creating {}", parent.display()), e))?;
        let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        let tmp = parent.join(format!(".{name}.spikard-tmp-{}", std::process::id()));
        let result = self.write_into(&tmp).and_then(|()| {
            if dest.exists() {
                let old = parent.join(format!(".{name}.spikard-old-{}", std::process::id()));
                std::fs::rename(dest, &old).map_err(|e| CodegenError::io(format!("moving {}", dest.display()), e))?;
                std::fs::rename(&tmp, dest)
                    .map_err(|e| CodegenError::io(format!("moving into {}", dest.display()), e))?;
                std::fs::remove_dir_all(&old).map_err(|e| CodegenError::io(format!("removing {}", old.display()), e))
            } else {
                std::fs::rename(&tmp, dest).map_err(|e| CodegenError::io(format!("moving into {}", dest.display()), e))
            }
        });
        if result.is_err() && tmp.exists() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result
    }

    fn write_into(&self, dir: &Path) -> Result<()> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| CodegenError::io(format!("removing {}", dir.display()), e))?;
        }
        for (rel, content) in &self.0 {
            let path = dir.join(rel);
            if let Some(p) = path.parent() {
                std::fs::create_dir_all(p).map_err(|e| CodegenError::io(format!("creating {}", p.display()), e))?;
            }
            std::fs::write(&path, content).map_err(|e| CodegenError::io(format!("writing {}", path.display()), e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_all_or_refuses() {
        let dir = std::env::temp_dir().join(format!("spikard-codegen-out-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut files = Files::default();
        files.add("a/b.txt", "b");
        files.add("c.txt", "c");
        files.write(&dir, false).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("a/b.txt")).unwrap(), "b");
        let err = files.write(&dir, false).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let mut other = Files::default();
        other.add("d.txt", "d");
        other.write(&dir, true).unwrap();
        assert!(!dir.join("c.txt").exists() && dir.join("d.txt").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
