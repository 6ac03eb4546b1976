//! The small text files wxjs is configured with (configuration, keys, `file:` secrets), read
//! within bounds: a directory is refused, and whatever the path is — a file, a pipe
//! (`--config <(sops -d …)`), a device (`/dev/zero`) — at most the limit is read; more is an
//! error, not a full memory.

use std::io::Read as _;
use std::path::Path;

/// Configuration files and keys are read up to this size.
pub const TEXT_FILE_LIMIT: u64 = 1 << 20;

/// Reads `path`: at most `limit` bytes of UTF-8 text, from a file, a pipe or a device. The
/// error is a message for a person, without the path (the caller names it).
///
/// # Errors
/// The path cannot be opened, is a directory, holds more than `limit` bytes, or is not UTF-8.
pub fn read_text_file(path: &Path, limit: u64) -> Result<String, String> {
    // Before opening: opening a directory succeeds, and its read fails with a less clear message.
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.is_dir() {
        return Err("is a directory, not a file".to_owned());
    }
    if meta.is_file() && meta.len() > limit {
        return Err(format!("is larger than {} KiB", limit >> 10));
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    // A pipe, a device or a file that grows while it is read still stops at the limit.
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
    let line_no = text.as_bytes()[..start]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("");
    // A line inside a multi-line string (a PEM key) may hold an `=` too: no key there.
    let line_start = text.as_bytes()[..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let before = &text.as_bytes()[..line_start];
    let opened = |delim: &[u8]| before.windows(3).filter(|w| *w == delim).count() % 2 == 1;
    let in_string = opened(b"\"\"\"") || opened(b"\'\'\'");
    // The key of a `key = value` line, never what follows the `=`; only a bare TOML key.
    let key = line.split_once('=').map(|(k, _)| k.trim()).filter(|k| {
        !in_string
            && !k.is_empty()
            && k.len() <= 64
            && line.trim_start().starts_with(k)
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b' '))
    });
    match key {
        Some(k) => format!("line {line_no}, {k}: {message}"),
        None => format!("line {line_no}: {message}"),
    }
}

/// serde's message with the literal of `invalid type: integer `…``/`invalid value: string "…"`
/// left out; names of fields (`unknown field `x``) stay. The literal runs to `, expected`: a
/// string literal may hold quotes of its own.
fn without_values(message: &str) -> String {
    for lead in ["invalid type: ", "invalid value: ", "invalid length "] {
        let Some(rest) = message.strip_prefix(lead) else {
            continue;
        };
        // `integer `5``, `string "x"`, `character `c``: a kind word, then a quoted literal.
        let Some(open) = rest.find(['`', '"']) else {
            return message.to_owned();
        };
        let tail = rest
            .rfind(", expected")
            .filter(|&t| t > open)
            .map_or("", |t| &rest[t..]);
        return format!("{lead}{}{tail}", rest[..open].trim_end());
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
            // A quote inside the value must not end the cut early.
            (
                "app_secret = \"s\"\nn = \"ab\\\"cdef\"\n",
                "line 2, n: invalid type: string, expected u8",
            ),
        ] {
            let e = toml::from_str::<C>(text).unwrap_err();
            let m = toml_error(text, &e);
            assert!(m.contains(shown), "{text:?}: {m}");
            for secret in ["12345678901234", "hunter2", "300", "cdef"] {
                assert!(!m.contains(secret), "{text:?}: {m}");
            }
        }
    }

    /// A line of a multi-line string (a PEM key) that holds `=` is no key to show.
    #[test]
    fn toml_errors_show_only_bare_keys() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct K {
            key: String,
            n: u8,
        }
        let text = "key = \"\"\"\nMIIEabc+/xyz==\n\"\"\"\nn = 300\n";
        let e = toml::from_str::<K>(text).unwrap_err();
        let m = toml_error(text, &e);
        assert!(!m.contains("MIIE"), "{m}");
        assert!(m.starts_with("line 4, n:"), "{m}");
        // An error inside the multi-line string itself (a bad escape on the PEM's line).
        let text = "n = 1\nkey = \"\"\"\nMIIEabc=\\q\n\"\"\"\n";
        let e = toml::from_str::<K>(text).unwrap_err();
        let m = toml_error(text, &e);
        assert!(!m.contains("MIIE"), "{m}");
        assert!(m.starts_with("line 3:"), "{m}");
    }

    #[test]
    fn directories_and_large_files_are_refused_and_devices_read_within_the_limit() {
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
                .contains("larger than")
        );
        assert!(read_text_file(&dir.path().join("none"), 64).is_err());
        // A pipe, as `--config <(sops -d config.toml)` gives.
        use std::io::Write as _;
        use std::os::fd::AsRawFd as _;
        let (reader, mut writer) = std::io::pipe().unwrap();
        writer.write_all(b"a = 1\n").unwrap();
        drop(writer);
        let piped = format!("/proc/self/fd/{}", reader.as_raw_fd());
        assert_eq!(read_text_file(Path::new(&piped), 64).unwrap(), "a = 1\n");
    }
}
