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

/// A TOML error for a person: where (`line 3, app_secret`) and what, but never the value it
/// was about — configuration files hold secrets, and serde's messages quote values
/// (`invalid type: integer `12345678901234`, expected a string`).
#[must_use]
pub fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = without_values(e.message());
    let Some(span) = e.span() else {
        return message;
    };
    let start = span.start.min(text.len());
    let line_no = text[..start].bytes().filter(|&b| b == b'\n').count() + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("");
    // The key of a `key = value` line, never what follows the `=`.
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty() && k.len() <= 64 && !k.contains(['"', '\'']));
    match key {
        Some(k) => format!("line {line_no}, {k}: {message}"),
        None => format!("line {line_no}: {message}"),
    }
}

/// serde's message with the literal of `invalid type: integer `…``/`invalid value: string "…"`
/// left out; names of fields (`unknown field `x``) stay.
fn without_values(message: &str) -> String {
    for lead in ["invalid type: ", "invalid value: ", "invalid length "] {
        let Some(rest) = message.strip_prefix(lead) else {
            continue;
        };
        // `integer `5``, `string "x"`, `character `c``: a kind word, then a quoted literal.
        let Some(open) = rest.find(['`', '"']) else {
            return message.to_owned();
        };
        let quote = &rest[open..=open];
        let Some(close) = rest[open + 1..].find(quote) else {
            return format!("{lead}{}", rest[..open].trim_end());
        };
        return format!(
            "{lead}{}{}",
            rest[..open].trim_end(),
            &rest[open + 1 + close + 1..]
        );
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A secret written as a number was echoed in the error: `invalid type: integer
    /// `12345678901234`, expected a string`.
    #[test]
    fn toml_errors_echoed_the_secret_they_were_about() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct C {
            app_secret: String,
            n: Option<u8>,
        }
        for (text, shown) in [
            (
                "n = 1\napp_secret = 12345678901234\n",
                "line 2, app_secret: invalid type: integer, expected a string",
            ),
            (
                "app_secret = \"s\"\nn = 300\n",
                "line 2, n: invalid value: integer, expected u8",
            ),
            ("app_secret = \"s\"\nextra = 1\n", "unknown field `extra`"),
            ("app_secret = \"hunter2\n", "line 1"),
        ] {
            let e = toml::from_str::<C>(text).unwrap_err();
            let m = toml_error(text, &e);
            assert!(m.contains(shown), "{text:?}: {m}");
            for secret in ["12345678901234", "hunter2", "300"] {
                assert!(!m.contains(secret), "{text:?}: {m}");
            }
        }
    }

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
