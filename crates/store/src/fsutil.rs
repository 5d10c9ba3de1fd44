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
    // Unique per write, not only per process: two handles on one profile in the same
    // process (threads of a test, the app and its background work) may write the
    // same file at once, and each rename must find its own temporary file.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
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

/// Takes an exclusive lock on an empty side file, creating it if needed; the lock is
/// released when the returned file is dropped. Locks live on side files, never on the
/// files they guard, because those are replaced by renames.
pub fn lock_file(path: &Path) -> Result<File, StoreError> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let f = opts
        .open(path)
        .map_err(StoreError::io(format!("opening {}", path.display())))?;
    f.lock()
        .map_err(StoreError::io(format!("locking {}", path.display())))?;
    Ok(f)
}

/// [`lock_file`], shared: for readers that must not see a writer's file half written.
pub(crate) fn lock_file_shared(path: &Path) -> Result<File, StoreError> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let f = opts
        .open(path)
        .map_err(StoreError::io(format!("opening {}", path.display())))?;
    f.lock_shared()
        .map_err(StoreError::io(format!("locking {}", path.display())))?;
    Ok(f)
}

/// Whether [`write_private_file`] may replace a file that is already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    No,
    Yes,
}

/// Writes a file meant for a person (an export, a QR image, a bundle): created
/// readable and writable by its owner only, whatever the umask, and never replacing
/// another file unless asked. There is no temporary file: an export is plaintext the
/// person asked for, and a leftover copy of it under another name is exactly what must
/// not happen. A replaced file is removed first (a symbolic link is removed, never
/// followed), so the new file never inherits the old one's permissions.
pub fn write_private_file(path: &Path, bytes: &[u8], replace: Replace) -> Result<(), StoreError> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let open = |opts: &OpenOptions| {
        opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                StoreError::FileExists(path.to_path_buf())
            } else {
                StoreError::Io {
                    what: format!("creating {}", path.display()),
                    source: e,
                }
            }
        })
    };
    let mut f = match (open(&opts), replace) {
        (Err(StoreError::FileExists(_)), Replace::Yes) => {
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
                return Err(StoreError::Io {
                    what: format!("replacing {}", path.display()),
                    source: std::io::Error::other("it is a folder"),
                });
            }
            std::fs::remove_file(path)
                .map_err(StoreError::io(format!("replacing {}", path.display())))?;
            open(&opts)?
        }
        (result, _) => result?,
    };
    if let Err(e) = f.write_all(bytes).and_then(|_| f.sync_all()) {
        drop(f);
        let _ = std::fs::remove_file(path);
        return Err(StoreError::Io {
            what: format!("writing {}", path.display()),
            source: e,
        });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fsync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_private_file_is_owner_only_and_never_replaced_by_accident() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.md");
        write_private_file(&path, b"first", Replace::No).unwrap();
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        let err = write_private_file(&path, b"second", Replace::No).unwrap_err();
        assert!(matches!(err, StoreError::FileExists(_)), "{err}");
        assert!(err.to_string().contains("--force"));
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        // A world-readable file already there is replaced by an owner-only one.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        write_private_file(&path, b"second", Replace::Yes).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        // Nothing else was left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // A folder is never replaced.
        let sub = dir.path().join("folder");
        std::fs::create_dir(&sub).unwrap();
        assert!(write_private_file(&sub, b"x", Replace::Yes).is_err());
        assert!(sub.is_dir());
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, b"keep me").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            write_private_file(&link, b"x", Replace::No),
            Err(StoreError::FileExists(_))
        ));
        write_private_file(&link, b"new", Replace::Yes).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
        assert_eq!(std::fs::read(&link).unwrap(), b"new");
        assert!(
            !std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}
