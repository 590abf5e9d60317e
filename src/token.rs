//! Where the bot token comes from: `DISCORD_TOKEN` (or `--token`), a file named by
//! `DISCORD_TOKEN_FILE` (or `--token-file`), or systemd's credentials directory.
//!
//! A token in an environment variable is visible to anyone who can read the process's
//! environment and ends up in unit files and shell histories; supervisors pass secrets as
//! files instead: systemd's `LoadCredential=discord-token:/path` puts it in
//! `$CREDENTIALS_DIRECTORY/discord-token`, and container runtimes mount secrets as files
//! (`/run/secrets/...`), named here by `DISCORD_TOKEN_FILE`.
//!
//! Which one is used:
//! 1. `DISCORD_TOKEN` or `DISCORD_TOKEN_FILE`, whichever is set. Both set is a mistake
//!    (which one did the admin mean?) and refused with a sentence naming both.
//! 2. Otherwise `$CREDENTIALS_DIRECTORY/discord-token`, when systemd set the directory.
//!
//! Every error names the variable and the file, never the token or the file's content.
//! [`Token`]'s `Debug` shows where the token came from, not its value.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The name of the systemd credential the bot reads (`LoadCredential=discord-token:...`).
pub const CREDENTIAL_NAME: &str = "discord-token";

/// A token file larger than this is not a token file (a token is about 72 characters).
const MAX_FILE_BYTES: u64 = 4096;

/// Where a token came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `DISCORD_TOKEN` or `--token`.
    Env,
    /// The file named by `DISCORD_TOKEN_FILE` or `--token-file`.
    File(PathBuf),
    /// `discord-token` in systemd's `$CREDENTIALS_DIRECTORY`.
    Credential(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Env => write!(f, "DISCORD_TOKEN"),
            Source::File(p) => write!(f, "the file {} (DISCORD_TOKEN_FILE)", p.display()),
            Source::Credential(p) => write!(f, "the systemd credential {}", p.display()),
        }
    }
}

/// The bot token, trimmed, and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    value: String,
    source: Source,
}

impl Token {
    /// The token itself, to hand to the Discord client and the log redaction.
    pub fn secret(&self) -> &str {
        &self.value
    }

    pub fn source(&self) -> &Source {
        &self.source
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &"[redacted]")
            .field("source", &self.source)
            .finish()
    }
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error(
        "DISCORD_TOKEN is not set (nor DISCORD_TOKEN_FILE, nor a `discord-token` systemd \
         credential); create a bot in the Discord Developer Portal (Applications → your app → \
         Bot → Reset Token) and set DISCORD_TOKEN to its token, or DISCORD_TOKEN_FILE to a \
         file that holds it"
    )]
    Missing,
    #[error(
        "both DISCORD_TOKEN and DISCORD_TOKEN_FILE ({}) are set; set only one of them",
        .0.display()
    )]
    Both(PathBuf),
    #[error("cannot read the bot token from {from}: {why}")]
    Unreadable { from: Source, why: String },
}

/// The token from the first source that is set (see the module documentation).
/// `token` and `file` are the values of `--token`/`DISCORD_TOKEN` and
/// `--token-file`/`DISCORD_TOKEN_FILE`; `credentials_dir` is `$CREDENTIALS_DIRECTORY`.
/// Empty or blank values count as unset.
pub fn resolve(
    token: Option<&str>,
    file: Option<&Path>,
    credentials_dir: Option<&Path>,
) -> Result<Token, TokenError> {
    let token = token.map(str::trim).filter(|t| !t.is_empty());
    let file = file.filter(|p| !p.as_os_str().is_empty());
    let credentials_dir = credentials_dir.filter(|p| !p.as_os_str().is_empty());
    match (token, file) {
        (Some(_), Some(file)) => Err(TokenError::Both(file.to_owned())),
        (Some(value), None) => Ok(Token {
            value: value.to_owned(),
            source: Source::Env,
        }),
        (None, Some(file)) => read(Source::File(file.to_owned())),
        (None, None) => match credentials_dir {
            Some(dir) => {
                let path = dir.join(CREDENTIAL_NAME);
                if path.exists() {
                    read(Source::Credential(path))
                } else {
                    Err(TokenError::Missing)
                }
            }
            None => Err(TokenError::Missing),
        },
    }
}

/// [`resolve`] from this process's environment: `CREDENTIALS_DIRECTORY` is read here;
/// the other two come from the command line (clap reads their variables).
pub fn from_env(token: Option<&str>, file: Option<&Path>) -> Result<Token, TokenError> {
    let dir = std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from);
    resolve(token, file, dir.as_deref())
}

/// Reads the token file named by `source`.
fn read(source: Source) -> Result<Token, TokenError> {
    let path = match &source {
        Source::File(p) | Source::Credential(p) => p.clone(),
        Source::Env => unreachable!("only files are read"),
    };
    let fail = |why: String| TokenError::Unreadable {
        from: source.clone(),
        why,
    };
    let file = std::fs::File::open(&path).map_err(|e| {
        fail(match e.kind() {
            std::io::ErrorKind::NotFound => "there is no such file".to_owned(),
            std::io::ErrorKind::PermissionDenied => {
                "permission denied; the bot's user must be able to read it".to_owned()
            }
            _ => e.to_string(),
        })
    })?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(fail("it is a directory, not a file".to_owned()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(format!(
            "it is larger than {MAX_FILE_BYTES} bytes, too large for a bot token; \
             is it the right file?"
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| fail("it is not text".to_owned()))?;
    let value = text.trim();
    if value.is_empty() {
        return Err(fail(
            "it is empty; put the bot token in it, alone on one line".to_owned(),
        ));
    }
    if value.contains(char::is_whitespace) {
        return Err(fail(
            "it holds more than the token (spaces or several lines); put the bot token in \
             it, alone on one line"
                .to_owned(),
        ));
    }
    if let Some((name, _)) = value.split_once('=') {
        if name.chars().all(|c| c.is_ascii_uppercase() || c == '_') && !name.is_empty() {
            return Err(fail(format!(
                "it reads like an assignment (`{name}=...`); put only the token in it"
            )));
        }
    }
    Ok(Token {
        value: value.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "MTE5.GhQ7xZ.s3cr3t-value";

    fn dir_with(name: &str, content: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        (dir, path)
    }

    #[test]
    fn from_the_variable() {
        let t = resolve(Some(&format!(" {SECRET}\n")), None, None).unwrap();
        assert_eq!(t.secret(), SECRET);
        assert_eq!(t.source(), &Source::Env);
    }

    #[test]
    fn from_a_file_trimmed() {
        let (_d, path) = dir_with("token", format!("{SECRET}\n").as_bytes());
        let t = resolve(None, Some(&path), None).unwrap();
        assert_eq!(t.secret(), SECRET);
        assert_eq!(t.source(), &Source::File(path));
    }

    #[test]
    fn from_the_credentials_directory() {
        let (d, path) = dir_with(CREDENTIAL_NAME, SECRET.as_bytes());
        let t = resolve(None, None, Some(d.path())).unwrap();
        assert_eq!(t.secret(), SECRET);
        assert_eq!(t.source(), &Source::Credential(path));
    }

    #[test]
    fn explicit_settings_win_over_the_credential() {
        let (d, _) = dir_with(CREDENTIAL_NAME, b"from-the-credential");
        let t = resolve(Some(SECRET), None, Some(d.path())).unwrap();
        assert_eq!((t.secret(), t.source()), (SECRET, &Source::Env));
        let (_f, file) = dir_with("token", b"from-the-file");
        let t = resolve(None, Some(&file), Some(d.path())).unwrap();
        assert_eq!(t.secret(), "from-the-file");
    }

    #[test]
    fn both_variables_are_refused_naming_both() {
        let (_d, path) = dir_with("token", SECRET.as_bytes());
        let e = resolve(Some("other"), Some(&path), None).unwrap_err();
        assert_eq!(e, TokenError::Both(path.clone()));
        let msg = e.to_string();
        assert!(
            msg.contains("DISCORD_TOKEN and DISCORD_TOKEN_FILE"),
            "{msg}"
        );
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(!msg.contains("other"), "{msg}");
    }

    #[test]
    fn blank_values_count_as_unset() {
        let (_d, path) = dir_with("token", SECRET.as_bytes());
        assert_eq!(
            resolve(Some("  "), Some(&path), None).unwrap().secret(),
            SECRET
        );
        assert_eq!(
            resolve(Some(""), Some(Path::new("")), Some(Path::new(""))),
            Err(TokenError::Missing)
        );
        // A credentials directory without our credential: nothing to use.
        let empty = tempfile::tempdir().unwrap();
        let e = resolve(None, None, Some(empty.path())).unwrap_err();
        assert_eq!(e, TokenError::Missing);
        assert!(e.to_string().contains("DISCORD_TOKEN is not set"), "{e}");
    }

    #[test]
    fn bad_files_are_named_and_their_content_never_shown() {
        let missing = Path::new("/nonexistent/activation-check/token");
        let e = resolve(None, Some(missing), None).unwrap_err().to_string();
        assert_eq!(
            e,
            "cannot read the bot token from the file /nonexistent/activation-check/token \
             (DISCORD_TOKEN_FILE): there is no such file"
        );
        let cases: [(&[u8], &str); 5] = [
            (b"", "it is empty"),
            (b" \n\n", "it is empty"),
            (
                b"DISCORD_TOKEN=s3cr3t\n",
                "reads like an assignment (`DISCORD_TOKEN=...`)",
            ),
            (b"s3cr3t\nsecond line\n", "more than the token"),
            (b"\xff\xfes3cr3t", "not text"),
        ];
        for (content, why) in cases {
            let (_d, path) = dir_with("token", content);
            let e = resolve(None, Some(&path), None).unwrap_err().to_string();
            assert!(e.contains(&path.display().to_string()), "{e}");
            assert!(e.contains(why), "{e}");
            assert!(!e.contains("s3cr3t") && !e.contains("second"), "{e}");
        }
        let (_d, path) = dir_with("token", &[b'a'; 5000]);
        let e = resolve(None, Some(&path), None).unwrap_err().to_string();
        assert!(e.contains("too large"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let e = resolve(None, Some(dir.path()), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("a directory"), "{e}");
        // The credential is named as such.
        let (d, _) = dir_with(CREDENTIAL_NAME, b"");
        let e = resolve(None, None, Some(d.path())).unwrap_err().to_string();
        assert!(e.contains("the systemd credential"), "{e}");
        assert!(e.contains("discord-token"), "{e}");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let t = resolve(Some(SECRET), None, None).unwrap();
        let shown = format!("{t:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }
}
