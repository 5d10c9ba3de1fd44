use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::StoreError;

/// Makes a rename or a new file durable: on Linux a rename is only on disk once the
/// directory that holds it has been synced.
pub fn fsync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(StoreError::io(format!(
                "syncing directory {}",
                dir.display()
            )))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Replaces `path` with `bytes` so that a crash leaves either the old file or the new
/// one, never a mix. Callers only pass bytes that are already encrypted (or carry no
/// journal content), so the temporary file holds no plaintext either.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts
            .open(&tmp)
            .map_err(StoreError::io(format!("creating {}", tmp.display())))?;
        f.write_all(bytes)
            .and_then(|_| f.sync_all())
            .map_err(StoreError::io(format!("writing {}", tmp.display())))?;
        std::fs::rename(&tmp, path)
            .map_err(StoreError::io(format!("replacing {}", path.display())))?;
        fsync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
