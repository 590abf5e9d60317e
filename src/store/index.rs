//! The expiry index: `updated_at` as order-preserving bytes, then the session key in a
//! compact binary form, so that pruning reads only the expired prefix. The module
//! documentation of [`super`] says why the entries are written in the order they are.

use super::record_bytes;
use crate::session::{Scope, SessionKey};

/// Removes the index entry of the replaced record `old` (if it had one we can compute),
/// unless it is `keep`: a record rewritten within the same second has the same entry as
/// its successor.
pub(super) fn remove_index_entry(
    index: &sled::Tree,
    key: &str,
    old: Option<&[u8]>,
    keep: Option<&[u8]>,
) -> Result<(), sled::Error> {
    if let Some(updated_at) = old.and_then(record_bytes::updated_at_of) {
        let entry = index_key(updated_at, key);
        if keep != Some(entry.as_slice()) {
            index.remove(entry)?;
        }
    }
    Ok(())
}

/// `i64` as 8 bytes whose byte order is the numeric order (sign bit flipped, big-endian),
/// so timestamps before 1970 would still sort first.
pub(super) fn ts_bytes(ts: i64) -> [u8; 8] {
    ((ts as u64) ^ (1 << 63)).to_be_bytes()
}

/// An index entry: [`ts_bytes`] of `updated_at`, then the session key in the compact
/// form of [`compact_key`].
pub(super) fn index_key(updated_at: i64, key: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 17);
    out.extend_from_slice(&ts_bytes(updated_at));
    compact_key(key, &mut out);
    out
}

/// Tags of the compact session keys in index entries. Every text key
/// ([`SessionKey::encode`]) starts with a printable letter, so an entry written by an
/// earlier build (`ts ++ text key`) is told apart by its ninth byte and still read.
const KEY_TEXT: u8 = 0x00;
const KEY_GUILD: u8 = 0x01;
const KEY_DM: u8 = 0x02;

/// Appends `key` (a [`SessionKey::encode`] string) in the index's compact form: for a
/// server or DM session of a user whose id is a decimal `u64` (every Discord user), the
/// tag and the ids as 8 big-endian bytes each; for anything else, [`KEY_TEXT`] and the
/// text.
///
/// Why: index entries are appended in time order, so sled keeps rewriting the newest
/// index leaf, and the bytes of the key are paid many times over on disk. With the
/// text key (41 bytes for a server session) 100,000 sessions took 117 MiB; with this
/// form (17 bytes) 77 MiB (sled alone, same writes; see benches/README.md).
pub(super) fn compact_key(key: &str, out: &mut Vec<u8>) {
    // A decimal `u64` as `u64::to_string` writes it (no sign, no leading zero), so that
    // the compact form reads back as exactly `key`.
    let decimal = |s: &str| {
        let canonical = !s.is_empty()
            && s.len() <= 20
            && s.bytes().all(|b| b.is_ascii_digit())
            && (s.len() == 1 || !s.starts_with('0'));
        canonical.then(|| s.parse::<u64>().ok()).flatten()
    };
    match key.split_once('/') {
        Some(("g", rest)) => {
            if let Some((Some(guild), Some(user))) =
                rest.split_once('/').map(|(g, u)| (decimal(g), decimal(u)))
            {
                out.push(KEY_GUILD);
                out.extend_from_slice(&guild.to_be_bytes());
                out.extend_from_slice(&user.to_be_bytes());
                return;
            }
        }
        Some(("dm", user)) => {
            if let Some(user) = decimal(user) {
                out.push(KEY_DM);
                out.extend_from_slice(&user.to_be_bytes());
                return;
            }
        }
        _ => {}
    }
    out.push(KEY_TEXT);
    out.extend_from_slice(key.as_bytes());
}

/// The `updated_at` and text session key of an index entry, in this build's form or an
/// earlier build's (`ts ++ text key`); `None` for anything else.
pub(super) fn split_index_key(bytes: &[u8]) -> Option<(i64, String)> {
    if bytes.len() < 9 {
        return None;
    }
    let (ts, key) = bytes.split_at(8);
    let ts = (u64::from_be_bytes(ts.try_into().ok()?) ^ (1 << 63)) as i64;
    let u64_at =
        |b: &[u8], at: usize| Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?));
    let key = match key[0] {
        KEY_TEXT => std::str::from_utf8(&key[1..]).ok()?.to_owned(),
        KEY_GUILD if key.len() == 17 => {
            SessionKey::new(Scope::Guild(u64_at(key, 1)?), u64_at(key, 9)?.to_string()).encode()
        }
        KEY_DM if key.len() == 9 => {
            SessionKey::new(Scope::Dm, u64_at(key, 1)?.to_string()).encode()
        }
        // An entry of an earlier build: the text key itself.
        b if b.is_ascii_alphabetic() => std::str::from_utf8(key).ok()?.to_owned(),
        _ => return None,
    };
    Some((ts, key))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::super::testing::*;
    use super::*;
    use crate::session::SessionStore;

    #[test]
    fn index_entries_hold_discord_keys_in_17_bytes_and_anything_else_as_text() {
        let cases = [
            (
                SessionKey::new(Scope::Guild(81384788765712384), "80351110224678912"),
                8 + 17,
            ),
            (
                SessionKey::new(Scope::Guild(u64::MAX), u64::MAX.to_string()),
                8 + 17,
            ),
            (SessionKey::new(Scope::Dm, "80351110224678912"), 8 + 9),
            (
                SessionKey::new(Scope::Terminal, "alice"),
                8 + 1 + "term/alice".len(),
            ),
            // Not the decimal form of a u64: kept as text, so it comes back unchanged.
            (SessionKey::new(Scope::Dm, "0123"), 8 + 1 + "dm/0123".len()),
            (
                SessionKey::new(Scope::Guild(7), "bob"),
                8 + 1 + "g/7/bob".len(),
            ),
            (
                SessionKey::new(Scope::Guild(7), "18446744073709551616"),
                8 + 1 + "g/7/18446744073709551616".len(),
            ),
        ];
        for (key, len) in cases {
            let entry = index_key(T0, &key.encode());
            assert_eq!(entry.len(), len, "{key}");
            assert_eq!(split_index_key(&entry), Some((T0, key.encode())), "{key}");
        }
        // A text key that SessionKey would not have written stays as it is too.
        let odd = index_key(T0, "g/007/1");
        assert_eq!(split_index_key(&odd), Some((T0, "g/007/1".to_owned())));
        // Damaged entries are refused rather than misread.
        let mut short = index_key(T0, "g/1/2");
        short.pop();
        assert_eq!(split_index_key(&short), None);
        assert_eq!(split_index_key(&ts_bytes(T0)), None);
    }

    #[tokio::test]
    async fn index_entries_of_earlier_builds_are_still_pruned() {
        let (_dir, now, store) = store_at(T0);
        let key = SessionKey::new(Scope::Guild(81384788765712384), "80351110224678912");
        store.put(&key, &record(T0)).await.unwrap();
        // As an earlier build wrote it: the text key after the timestamp.
        let compact = index_key(T0, &key.encode());
        let mut legacy = ts_bytes(T0).to_vec();
        legacy.extend_from_slice(key.encode().as_bytes());
        store.index().remove(compact).unwrap();
        store.index().insert(legacy, &[]).unwrap();
        assert_eq!(index_entries(&store), [(T0, key.encode())]);

        now.store(T0 + 31 * DAY, Ordering::SeqCst);
        assert_eq!(store.prune_expired(T0 + 31 * DAY).unwrap(), 1);
        assert_eq!(store.get(&key).unwrap(), None);
        assert!(index_entries(&store).is_empty());
    }

    mod index_keys {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn round_trip(
                ts in any::<i64>(),
                scope in prop_oneof![
                    any::<u64>().prop_map(Scope::Guild),
                    Just(Scope::Dm),
                    Just(Scope::Terminal),
                ],
                user in prop_oneof![any::<u64>().prop_map(|n| n.to_string()), "[^/]{1,24}"],
            ) {
                let key = SessionKey::new(scope, user).encode();
                prop_assert_eq!(split_index_key(&index_key(ts, &key)), Some((ts, key)));
            }
        }
    }

    #[test]
    fn timestamps_sort_numerically() {
        let mut stamps = [i64::MIN, -1, 0, 1, T0, i64::MAX];
        let mut keys: Vec<_> = stamps.iter().rev().map(|&t| index_key(t, "dm/1")).collect();
        keys.sort();
        let decoded: Vec<_> = keys.iter().map(|k| split_index_key(k).unwrap().0).collect();
        stamps.sort();
        assert_eq!(decoded, stamps);
    }
}
