//! The bytes a [`SessionRecord`] is stored as: a compact binary layout, and the JSON that
//! earlier builds wrote, which is still read.
//!
//! Why not JSON: a stored session is mostly field names and quotes. The same record is
//! about 2.5 times smaller in this layout, and the storage engine's log costs roughly
//! 1.7 bytes of disk per record byte, so 100,000 sessions fit in well under 100 MiB and
//! the database opens faster (benches/README.md has the measurements).
//!
//! Layout (integers as LEB128 varints, signed ones zigzag-encoded, strings as a varint
//! length and UTF-8 bytes):
//!
//! ```text
//! 0xB5  format  updated_at  created_at  step  rules_version  locale
//!       last_input (0 = none, 1 then the string)  answer count  (node value)*
//! ```
//!
//! `format` and `updated_at` come first so that a record of a format this build does
//! not understand can still be recognized as such and expired ([`format_of`],
//! [`updated_at_of`]). A first byte of `{` means the JSON of earlier builds. Pure: no
//! storage engine here.

use crate::session::{Answer, SessionRecord};

/// The first byte of a record in the binary layout. Never the first byte of JSON.
const MARKER: u8 = 0xB5;

/// Why stored bytes are not a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Neither layout, or cut short.
    Unreadable(String),
    /// A readable record of another format than `expected`.
    Format { found: u32, expected: u32 },
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Unreadable(why) => write!(f, "not a session record: {why}"),
            DecodeError::Format { found, expected } => {
                write!(f, "format {found}, this build reads format {expected}")
            }
        }
    }
}

/// `record` in the binary layout.
pub fn encode(record: &SessionRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + record.answers.len() * 24);
    out.push(MARKER);
    put_uint(&mut out, u64::from(record.format));
    put_int(&mut out, record.updated_at);
    put_int(&mut out, record.created_at);
    put_uint(&mut out, record.step);
    put_str(&mut out, &record.rules_version);
    put_str(&mut out, &record.locale);
    match &record.last_input {
        None => out.push(0),
        Some(input) => {
            out.push(1);
            put_str(&mut out, input);
        }
    }
    put_uint(&mut out, record.answers.len() as u64);
    for answer in &record.answers {
        put_str(&mut out, &answer.node);
        put_str(&mut out, &answer.value);
    }
    out
}

/// The record in `bytes` (either layout) if it is of format `expected`.
pub fn decode(bytes: &[u8], expected: u32) -> Result<SessionRecord, DecodeError> {
    if bytes.first() == Some(&b'{') {
        let found = format_of(bytes)?;
        if found != expected {
            return Err(DecodeError::Format { found, expected });
        }
        return serde_json::from_slice(bytes).map_err(|e| DecodeError::Unreadable(e.to_string()));
    }
    let mut r = Reader::binary(bytes)?;
    let found = r.format()?;
    if found != expected {
        return Err(DecodeError::Format { found, expected });
    }
    let updated_at = r.int()?;
    let created_at = r.int()?;
    let step = r.uint()?;
    let rules_version = r.string()?;
    let locale = r.string()?;
    let last_input = match r.byte()? {
        0 => None,
        1 => Some(r.string()?),
        other => return Err(r.fail(&format!("last_input tag {other}"))),
    };
    let count = r.uint()?;
    // Each answer takes at least two bytes, which bounds a corrupt count.
    if count > (r.rest() / 2) as u64 {
        return Err(r.fail("answer count larger than the record"));
    }
    let mut answers = Vec::with_capacity(count as usize);
    for _ in 0..count {
        answers.push(Answer {
            node: r.string()?,
            value: r.string()?,
        });
    }
    if r.rest() != 0 {
        return Err(r.fail("bytes after the last answer"));
    }
    Ok(SessionRecord {
        format: found,
        rules_version,
        locale,
        answers,
        step,
        last_input,
        created_at,
        updated_at,
    })
}

/// The format number of a record in either layout, whatever the format.
pub fn format_of(bytes: &[u8]) -> Result<u32, DecodeError> {
    if bytes.first() == Some(&b'{') {
        #[derive(serde::Deserialize)]
        struct Probe {
            format: u32,
        }
        return serde_json::from_slice::<Probe>(bytes)
            .map(|p| p.format)
            .map_err(|e| DecodeError::Unreadable(e.to_string()));
    }
    Reader::binary(bytes)?.format()
}

/// The `updated_at` of a record in either layout and any format, if it has one.
pub fn updated_at_of(bytes: &[u8]) -> Option<i64> {
    if bytes.first() == Some(&b'{') {
        #[derive(serde::Deserialize)]
        struct Probe {
            #[serde(default)]
            updated_at: Option<i64>,
        }
        return serde_json::from_slice::<Probe>(bytes).ok()?.updated_at;
    }
    let mut r = Reader::binary(bytes).ok()?;
    r.format().ok()?;
    r.int().ok()
}

fn put_uint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_int(out: &mut Vec<u8>, v: i64) {
    put_uint(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_uint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn binary(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        match bytes.first() {
            Some(&MARKER) => Ok(Reader { bytes, at: 1 }),
            Some(b) => Err(DecodeError::Unreadable(format!(
                "unknown first byte {b:#04x}"
            ))),
            None => Err(DecodeError::Unreadable("empty".to_owned())),
        }
    }

    fn fail(&self, what: &str) -> DecodeError {
        DecodeError::Unreadable(format!("{what} at byte {}", self.at))
    }

    fn rest(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .bytes
            .get(self.at)
            .ok_or_else(|| self.fail("cut short"))?;
        self.at += 1;
        Ok(b)
    }

    fn uint(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(self.fail("varint overflows 64 bits"));
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.fail("varint longer than 10 bytes"))
    }

    fn int(&mut self) -> Result<i64, DecodeError> {
        let v = self.uint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    fn format(&mut self) -> Result<u32, DecodeError> {
        let v = self.uint()?;
        u32::try_from(v).map_err(|_| self.fail("format number out of range"))
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let len = self.uint()?;
        if len > self.rest() as u64 {
            return Err(self.fail("string longer than the record"));
        }
        let end = self.at + len as usize;
        let s = std::str::from_utf8(&self.bytes[self.at..end])
            .map_err(|_| self.fail("string not UTF-8"))?
            .to_owned();
        self.at = end;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SESSION_FORMAT;
    use proptest::prelude::*;

    fn sample() -> SessionRecord {
        let mut r = SessionRecord::new("2026.11.21", "en-US", 1_795_313_752);
        r.answers = vec![
            Answer {
                node: "concern".into(),
                value: "virtual-machine".into(),
            },
            Answer {
                node: "vm-origin".into(),
                value: "free-upgrade-win7-8".into(),
            },
        ];
        r.step = 2;
        r.last_input = Some("ac1:a:930000000000000001:1a2b:1:vm-origin:unknown".into());
        r.updated_at = 1_795_317_352;
        r
    }

    #[test]
    fn round_trips_and_is_much_smaller_than_json() {
        let r = sample();
        let bytes = encode(&r);
        assert_eq!(decode(&bytes, SESSION_FORMAT), Ok(r.clone()));
        let json = serde_json::to_vec(&r).unwrap();
        assert!(
            bytes.len() * 2 < json.len(),
            "{} bytes vs {} as JSON",
            bytes.len(),
            json.len()
        );
        assert_eq!(format_of(&bytes), Ok(SESSION_FORMAT));
        assert_eq!(updated_at_of(&bytes), Some(r.updated_at));
    }

    #[test]
    fn reads_the_json_of_earlier_builds() {
        let r = sample();
        let json = serde_json::to_vec(&r).unwrap();
        assert_eq!(decode(&json, SESSION_FORMAT), Ok(r.clone()));
        assert_eq!(format_of(&json), Ok(SESSION_FORMAT));
        assert_eq!(updated_at_of(&json), Some(r.updated_at));
    }

    #[test]
    fn another_format_is_told_apart_from_damage_and_still_has_its_time() {
        let mut r = sample();
        r.format = SESSION_FORMAT + 6;
        let bytes = encode(&r);
        assert_eq!(
            decode(&bytes, SESSION_FORMAT),
            Err(DecodeError::Format {
                found: SESSION_FORMAT + 6,
                expected: SESSION_FORMAT
            })
        );
        assert_eq!(updated_at_of(&bytes), Some(r.updated_at));
        for bad in [&b""[..], b"\x00", b"garbage", &bytes[..bytes.len() - 1]] {
            assert!(
                matches!(
                    decode(bad, SESSION_FORMAT + 6),
                    Err(DecodeError::Unreadable(_))
                ),
                "{bad:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_record_round_trips(
            rules_version in ".{0,20}",
            locale in "[a-zA-Z-]{0,8}",
            nodes in proptest::collection::vec((".{0,30}", ".{0,30}"), 0..12),
            step in any::<u64>(),
            last_input in proptest::option::of(".{0,100}"),
            created_at in any::<i64>(),
            updated_at in any::<i64>(),
        ) {
            let r = SessionRecord {
                format: SESSION_FORMAT,
                rules_version,
                locale,
                answers: nodes.into_iter().map(|(node, value)| Answer { node, value }).collect(),
                step,
                last_input,
                created_at,
                updated_at,
            };
            let bytes = encode(&r);
            prop_assert_eq!(decode(&bytes, SESSION_FORMAT), Ok(r.clone()));
            prop_assert_eq!(updated_at_of(&bytes), Some(updated_at));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut tagged = vec![MARKER];
            tagged.extend_from_slice(&bytes);
            let _ = decode(&tagged, SESSION_FORMAT);
            let _ = decode(&bytes, SESSION_FORMAT);
            let _ = updated_at_of(&tagged);
            let _ = format_of(&tagged);
        }
    }
}
