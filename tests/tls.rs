//! TLS to Discord when OpenSSL looks certificate authorities up by hash
//! (src/discord/tls.rs): the real binary registers its commands through an HTTPS front
//! on 127.0.0.1 whose certificate a test authority signed. Trusted when that authority
//! is in the certificate directory (as a hash link) or in the operator's bundle; refused
//! when the directory holds another authority: looking up lazily does not loosen
//! verification.

mod support;

use std::path::Path;
use std::process::Output;

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectAlternativeName};
use openssl::x509::{X509NameBuilder, X509};
use support::bot::bot_command;
use support::standin::StandIn;
use tokio::net::{TcpListener, TcpStream};

const GUILD: u64 = 930_000_000_000_000_001;

struct Authority {
    cert: X509,
    key: PKey<Private>,
}

fn key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

fn serial() -> openssl::asn1::Asn1Integer {
    let mut n = BigNum::new().unwrap();
    n.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    n.to_asn1_integer().unwrap()
}

/// A self-signed certificate authority named `cn`.
fn authority(cn: &str) -> Authority {
    let key = key();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    b.append_extension(
        KeyUsage::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .build()
            .unwrap(),
    )
    .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    Authority {
        cert: b.build(),
        key,
    }
}

/// A server certificate for 127.0.0.1 signed by `ca`: (certificate PEM, PKCS#8 key PEM).
fn server_identity(ca: &Authority) -> (Vec<u8>, Vec<u8>) {
    let key = key();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "127.0.0.1").unwrap();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial()).unwrap();
    b.set_subject_name(&name.build()).unwrap();
    b.set_issuer_name(ca.cert.subject_name()).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .ip("127.0.0.1")
        .build(&b.x509v3_context(Some(&ca.cert), None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&ca.key, MessageDigest::sha256()).unwrap();
    (
        b.build().to_pem().unwrap(),
        key.private_key_to_pem_pkcs8().unwrap(),
    )
}

/// A certificate directory as `c_rehash` leaves it: `ca` under its subject hash.
fn hashed_dir(ca: &Authority) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("{:08x}.0", ca.cert.subject_name_hash());
    std::fs::write(dir.path().join(name), ca.cert.to_pem().unwrap()).unwrap();
    dir
}

/// An HTTPS front for the stand-in on 127.0.0.1 with a certificate `ca` signed; its
/// origin.
async fn https_front(standin: &StandIn, ca: &Authority) -> String {
    let (cert, key) = server_identity(ca);
    let identity = native_tls::Identity::from_pkcs8(&cert, &key).unwrap();
    let acceptor = tokio_native_tls::TlsAcceptor::from(
        native_tls::TlsAcceptor::builder(identity).build().unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("https://{}", listener.local_addr().unwrap());
    let backend = standin.addr();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A refused handshake (the client does not trust us) just ends here.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    origin
}

/// `register` in the test guild through `origin`, with the given certificate settings.
async fn register(
    standin: &StandIn,
    origin: &str,
    cert_file: Option<&Path>,
    cert_dir: Option<&Path>,
) -> Output {
    let data = tempfile::tempdir().unwrap();
    let mut cmd = bot_command(standin, data.path());
    cmd.args(["register", "--guild", &GUILD.to_string()])
        .env("DISCORD_API_BASE", origin)
        .env("DISCORD_TOKEN", standin.token())
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR");
    if let Some(f) = cert_file {
        cmd.env("SSL_CERT_FILE", f);
    }
    if let Some(d) = cert_dir {
        cmd.env("SSL_CERT_DIR", d);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    drop(data);
    out
}

fn registered(standin: &StandIn) -> usize {
    standin
        .commands()
        .into_iter()
        .filter(|c| c.guild_id == Some(GUILD))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authority_found_by_hash_is_trusted_and_another_is_not() {
    let standin = StandIn::start().await;
    let ours = authority("activation-check test authority");
    let origin = https_front(&standin, &ours).await;

    let trusted = hashed_dir(&ours);
    let out = register(&standin, &origin, None, Some(trusted.path())).await;
    support::bot::assert_succeeded(&out);
    assert!(registered(&standin) >= 3, "{:?}", standin.commands());

    let before = standin.commands().len();
    let other = hashed_dir(&authority("someone else's authority"));
    let out = register(&standin, &origin, None, Some(other.path())).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("certificate verify failed"), "{err}");
    assert_eq!(
        standin.commands().len(),
        before,
        "nothing registered: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operators_bundle_is_still_read() {
    let standin = StandIn::start().await;
    let ours = authority("activation-check test authority");
    let origin = https_front(&standin, &ours).await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle.pem");
    std::fs::write(&bundle, ours.cert.to_pem().unwrap()).unwrap();
    // A directory of hash links for another authority beside it: the bundle decides.
    let other = hashed_dir(&authority("someone else's authority"));
    let out = register(&standin, &origin, Some(&bundle), Some(other.path())).await;
    support::bot::assert_succeeded(&out);
    assert!(registered(&standin) >= 3, "{:?}", standin.commands());
}
