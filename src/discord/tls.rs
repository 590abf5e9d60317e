//! Where OpenSSL finds the certificate authorities for Discord's HTTPS and WSS.
//!
//! Why this exists: native-tls builds serenity's REST client by reading the whole CA bundle
//! (`/etc/ssl/certs/ca-certificates.crt`, about 140 certificates) twice, once for
//! OpenSSL's default paths and once for openssl-probe's file. That was 90 ms of a 125 ms
//! start and 1.7 MiB kept for the life of the process (benches/README.md), to trust two
//! authorities in the end (Discord's). OpenSSL can instead look an authority up by its
//! subject hash in a directory, when a handshake needs it: the `c_rehash` links that
//! Debian's `update-ca-certificates` (and every major distribution) keeps beside the bundle.
//!
//! So, before the first client is built and before any thread starts:
//! - the operator's `SSL_CERT_FILE` is kept as it is (they chose a bundle);
//! - otherwise, if a certificate directory (the operator's `SSL_CERT_DIR`, or the system's
//!   that openssl-probe would use) holds hash links, OpenSSL is told to use that directory
//!   alone (`SSL_CERT_DIR` = it, `SSL_CERT_FILE` = an empty file): the same authorities,
//!   read one at a time when needed;
//! - otherwise (no such directory) nothing changes: the bundle is read as before.
//!
//! Verification is not loosened either way: an authority not in the directory is not
//! trusted (tests/tls.rs).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// What [`choose`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaLookup {
    /// `SSL_CERT_FILE` is the operator's: left alone.
    Operator,
    /// Authorities looked up by subject hash in this directory when a handshake needs one.
    ByHash(PathBuf),
    /// No directory with hash links: OpenSSL reads the bundle as before.
    Bundle,
}

/// An empty file that OpenSSL reads as "no bundle".
const NO_BUNDLE: &str = "/dev/null";

/// Decides how OpenSSL finds authorities, from `SSL_CERT_FILE`, `SSL_CERT_DIR` and the
/// system's certificate directories, each looked into with `has_hash_links`.
pub fn choose(
    cert_file: Option<&OsString>,
    cert_dir: Option<&OsString>,
    system_dirs: impl IntoIterator<Item = PathBuf>,
    has_hash_links: impl Fn(&Path) -> bool,
) -> CaLookup {
    if cert_file.is_some_and(|f| !f.is_empty()) {
        return CaLookup::Operator;
    }
    // `SSL_CERT_DIR` may list several directories, as OpenSSL reads it.
    let dirs: Vec<PathBuf> = match cert_dir.filter(|d| !d.is_empty()) {
        Some(d) => std::env::split_paths(d).collect(),
        None => system_dirs.into_iter().collect(),
    };
    dirs.into_iter()
        .find(|d| has_hash_links(d))
        .map_or(CaLookup::Bundle, CaLookup::ByHash)
}

/// Whether `dir` holds at least one OpenSSL hash link (`5ad8a5d6.0`: eight hex digits, a
/// dot, a number), the names OpenSSL looks an authority up by.
pub fn has_hash_links(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries
        .filter_map(Result::ok)
        .any(|e| is_hash_name(&e.file_name().to_string_lossy()))
}

fn is_hash_name(name: &str) -> bool {
    let Some((hash, n)) = name.split_once('.') else {
        return false;
    };
    hash.len() == 8
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
}

/// Applies [`choose`] to this process's environment. Call it before the first TLS client
/// is built and before any other thread runs (it sets environment variables).
pub fn look_up_authorities_by_hash() -> CaLookup {
    let file = std::env::var_os("SSL_CERT_FILE");
    let dir = std::env::var_os("SSL_CERT_DIR");
    let system = openssl_probe::candidate_cert_dirs().map(Path::to_path_buf);
    let choice = choose(file.as_ref(), dir.as_ref(), system, has_hash_links);
    if let CaLookup::ByHash(d) = &choice {
        // Single-threaded here (see above), which is what set_var needs.
        std::env::set_var("SSL_CERT_DIR", d);
        std::env::set_var("SSL_CERT_FILE", NO_BUNDLE);
    }
    choice
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> OsString {
        OsString::from(s)
    }

    #[test]
    fn the_operators_bundle_is_kept() {
        let c = choose(
            Some(&os("/srv/ca.pem")),
            None,
            [PathBuf::from("/etc/ssl/certs")],
            |_| true,
        );
        assert_eq!(c, CaLookup::Operator);
    }

    #[test]
    fn the_system_directory_with_hash_links_is_used_alone() {
        let c = choose(
            None,
            None,
            [
                PathBuf::from("/etc/pki/tls/certs"),
                PathBuf::from("/etc/ssl/certs"),
            ],
            |d| d == Path::new("/etc/ssl/certs"),
        );
        assert_eq!(c, CaLookup::ByHash(PathBuf::from("/etc/ssl/certs")));
    }

    #[test]
    fn the_operators_directory_comes_before_the_systems() {
        let c = choose(
            Some(&os("")),
            Some(&os("/nowhere:/srv/certs")),
            [PathBuf::from("/etc/ssl/certs")],
            |d| d != Path::new("/nowhere"),
        );
        assert_eq!(c, CaLookup::ByHash(PathBuf::from("/srv/certs")));
    }

    #[test]
    fn without_hash_links_the_bundle_is_read_as_before() {
        let c = choose(None, None, [PathBuf::from("/etc/ssl/certs")], |_| false);
        assert_eq!(c, CaLookup::Bundle);
        let c = choose(
            None,
            Some(&os("/srv/plain")),
            [PathBuf::from("/etc/ssl/certs")],
            |d| d == Path::new("/etc/ssl/certs"),
        );
        assert_eq!(
            c,
            CaLookup::Bundle,
            "the operator's directory is the one looked into"
        );
    }

    #[test]
    fn hash_names_are_recognised() {
        for yes in ["5ad8a5d6.0", "ABCDEF01.12"] {
            assert!(is_hash_name(yes), "{yes}");
        }
        for no in [
            "ca-certificates.crt",
            "5ad8a5d6.pem",
            "5ad8a5d.0",
            "5ad8a5d6.",
            "x5ad8a5d.0",
        ] {
            assert!(!is_hash_name(no), "{no}");
        }
    }

    #[test]
    fn a_directory_is_looked_into() {
        let d = tempfile::tempdir().unwrap();
        assert!(!has_hash_links(d.path()));
        std::fs::write(d.path().join("ca.pem"), "").unwrap();
        assert!(!has_hash_links(d.path()));
        std::fs::write(d.path().join("0123abcd.0"), "").unwrap();
        assert!(has_hash_links(d.path()));
        assert!(!has_hash_links(&d.path().join("missing")));
    }
}
