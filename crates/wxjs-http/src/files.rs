//! The small text files wxjs is configured with (configuration, keys, `file:` secrets), read
//! within bounds: a path that is a device (`/dev/zero`), a FIFO or a directory, or a file larger
//! than the limit, is refused at once instead of filling memory or waiting forever.

use std::io::Read as _;
use std::path::Path;

/// Configuration files and keys are read up to this size.
pub const TEXT_FILE_LIMIT: u64 = 1 << 20;

/// Reads `path`, a regular file of at most `limit` bytes of UTF-8 text. The error is a message
/// for a person, without the path (the caller names it).
///
/// # Errors
/// The file cannot be opened, is not a regular file, is larger than `limit`, or is not UTF-8.
pub fn read_text_file(path: &Path, limit: u64) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(if meta.is_dir() {
            "is a directory, not a file".to_owned()
        } else {
            "is not a regular file".to_owned()
        });
    }
    if meta.len() > limit {
        return Err(format!("is larger than {} KiB", limit >> 10));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // A file that grows while it is read still stops at the limit.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("is larger than {} KiB", limit >> 10));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "is not UTF-8 text (byte {} is not)",
            e.utf8_error().valid_up_to()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_large_files_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.toml");
        std::fs::write(&ok, "a = 1\n").unwrap();
        assert_eq!(read_text_file(&ok, 64).unwrap(), "a = 1\n");
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'a'; 2048]).unwrap();
        assert!(
            read_text_file(&big, 1024)
                .unwrap_err()
                .contains("larger than 1 KiB")
        );
        let bin = dir.path().join("bin");
        std::fs::write(&bin, b"\xff\xfe").unwrap();
        assert!(read_text_file(&bin, 64).unwrap_err().contains("not UTF-8"));
        assert!(
            read_text_file(dir.path(), 64)
                .unwrap_err()
                .contains("directory")
        );
        assert!(
            read_text_file(Path::new("/dev/zero"), 64)
                .unwrap_err()
                .contains("not a regular file")
        );
        assert!(read_text_file(&dir.path().join("none"), 64).is_err());
    }
}
