//! Is this request from Discord? Every interaction Discord POSTs carries an Ed25519
//! signature (`X-Signature-Ed25519`) of the timestamp (`X-Signature-Timestamp`) followed
//! by the body, made with the application's key; the public half is on the Developer
//! Portal's General Information page.
//!
//! A request passes when the signature verifies against that key *and* its timestamp is
//! recent: a signed request copied off the wire stays valid for ever, so one older (or
//! further ahead) than [`MAX_SKEW`] is refused like a forged one. Replays within that
//! window are caught by the interaction's id (see the endpoint's claims).

use std::time::Duration;

/// How far a request's timestamp may lie from this machine's clock, either way.
pub const MAX_SKEW: Duration = Duration::from_secs(60);

/// The application's public key, parsed once at start.
#[derive(Clone)]
pub struct PublicKey(serenity::interactions_endpoint::Verifier);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PublicKey(..)")
    }
}

/// Why a public key given on the command line is unusable.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "the public key must be 64 hexadecimal digits (the Developer Portal's \"Public Key\" \
         on the application's General Information page); got {0} characters"
    )]
    Length(usize),
    #[error("the public key has a character that is not a hexadecimal digit at {0}")]
    NotHex(usize),
    #[error("the public key is not a valid Ed25519 key: {0}")]
    Invalid(String),
}

impl std::str::FromStr for PublicKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, KeyError> {
        let s = s.trim();
        if s.len() != 64 {
            return Err(KeyError::Length(s.chars().count()));
        }
        let bytes = hex::<32>(s).map_err(KeyError::NotHex)?;
        serenity::interactions_endpoint::Verifier::try_new(bytes)
            .map(PublicKey)
            .map_err(|e| KeyError::Invalid(e.to_string()))
    }
}

/// `N` bytes from `2N` hexadecimal digits, or the position of the first bad one.
fn hex<const N: usize>(s: &str) -> Result<[u8; N], usize> {
    let mut out = [0u8; N];
    let digits = s.as_bytes();
    for (i, byte) in out.iter_mut().enumerate() {
        let pair = digits.get(2 * i..2 * i + 2).ok_or(2 * i)?;
        let pair = std::str::from_utf8(pair).map_err(|_| 2 * i)?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| 2 * i)?;
    }
    Ok(out)
}

/// Why a request was refused (for the log; the client only gets 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No `X-Signature-Ed25519` or `X-Signature-Timestamp` header.
    Unsigned,
    /// The signature does not verify against the public key.
    BadSignature,
    /// The timestamp is not unix seconds.
    BadTimestamp,
    /// The timestamp is further than [`MAX_SKEW`] from now.
    Stale { age_secs: i64 },
}

impl PublicKey {
    /// Checks one request: signature over `timestamp ++ body`, then the timestamp's age
    /// against `now` (unix seconds).
    pub fn check(
        &self,
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), Refused> {
        let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
            return Err(Refused::Unsigned);
        };
        self.0
            .verify(signature, timestamp, body)
            .map_err(|()| Refused::BadSignature)?;
        let at: i64 = timestamp.parse().map_err(|_| Refused::BadTimestamp)?;
        let age_secs = now.saturating_sub(at);
        if age_secs.unsigned_abs() > MAX_SKEW.as_secs() {
            return Err(Refused::Stale { age_secs });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_must_be_64_hex_digits_of_a_valid_point() {
        assert!(matches!(
            "ab".parse::<PublicKey>(),
            Err(KeyError::Length(2))
        ));
        let bad = format!("{}zz", "0".repeat(62));
        assert!(matches!(
            bad.parse::<PublicKey>(),
            Err(KeyError::NotHex(62))
        ));
        // RFC 8032's first test key.
        let key = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
        assert!(key.parse::<PublicKey>().is_ok());
    }

    #[test]
    fn rfc_8032_signature_verifies_and_a_changed_byte_does_not() {
        // RFC 8032 7.1, TEST 2: the message is one byte, 0x72. Split as timestamp "r"
        // and an empty body it is the same signed message; the timestamp check then
        // refuses it as not a number, which shows the signature passed.
        let key: PublicKey = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
            .parse()
            .unwrap();
        let sig = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
                   085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";
        assert_eq!(
            key.check(Some(sig), Some("r"), b"", 0),
            Err(Refused::BadTimestamp)
        );
        assert_eq!(
            key.check(Some(sig), Some("s"), b"", 0),
            Err(Refused::BadSignature)
        );
        assert_eq!(key.check(None, Some("r"), b"", 0), Err(Refused::Unsigned));
    }
}
