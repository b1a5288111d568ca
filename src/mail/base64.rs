//! Lenient base64 for damaged message bodies (RFC 2045 §6.8). mail-parser
//! gives up on a character outside the alphabet and shows the part as raw
//! base64, reads everything after a line of the wrong length shifted by
//! a few bits, and drops a final group without its `=` padding. Here
//! lines are the unit of damage: encoders write lines of one length, so a
//! line that does not fit is skipped and the rest still decodes.
//! Pure: no I/O.

use ::base64::Engine;
use ::base64::engine::general_purpose::STANDARD;

/// What lenient decoding had to do.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Damage {
    /// Lines or characters were skipped or patched: some bytes are lost.
    pub lost: bool,
    /// The last group was incomplete (missing padding, or cut off) and
    /// was decoded as far as it goes.
    pub unpadded: bool,
}

impl Damage {
    pub fn any(self) -> bool {
        self.lost || self.unpadded
    }
}

const INVALID: u8 = 0xff;

static ALPHABET: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut v = 0u8;
    while v < 64 {
        let ch = match v {
            0..=25 => b'A' + v,
            26..=51 => b'a' + (v - 26),
            52..=61 => b'0' + (v - 52),
            62 => b'+',
            _ => b'/',
        };
        table[ch as usize] = v;
        v += 1;
    }
    table
};

fn is_data(b: u8) -> bool {
    ALPHABET[b as usize] != INVALID || b == b'='
}

/// Whether a strict decoder reads `body` whole: only the alphabet and
/// whitespace, complete groups, padding only at the end.
pub fn is_clean(body: &[u8]) -> bool {
    let (mut data, mut pads) = (0usize, 0usize);
    for &b in body {
        if b.is_ascii_whitespace() {
            continue;
        }
        if b == b'=' {
            pads += 1;
        } else if ALPHABET[b as usize] == INVALID || pads > 0 {
            return false;
        } else {
            data += 1;
        }
    }
    match pads {
        0 => data.is_multiple_of(4),
        1 => data % 4 == 3,
        2 => data % 4 == 2,
        _ => false,
    }
}

/// Whether `body` is base64 at all, damaged or not: at least half of its
/// lines are unbroken runs of the alphabet. Plain text mislabelled as
/// base64 (lines with spaces and punctuation) is not, and is better shown
/// as it is than decoded into noise.
pub fn looks_like_base64(body: &[u8]) -> bool {
    let (mut lines, mut clean) = (0usize, 0usize);
    for line in body.split(|&b| b == b'\n') {
        let line = line.trim_ascii();
        if !line.is_empty() {
            lines += 1;
            clean += usize::from(line.iter().all(|&b| is_data(b)));
        }
    }
    clean > 0 && clean * 2 >= lines
}

/// Accumulates 6-bit groups into bytes; `=` ends a group early.
#[derive(Default)]
struct Decoder {
    chunk: u32,
    count: u8,
    out: Vec<u8>,
}

impl Decoder {
    fn push(&mut self, b: u8) {
        let v = ALPHABET[b as usize];
        if v != INVALID {
            self.chunk = (self.chunk << 6) | u32::from(v);
            self.count += 1;
            if self.count == 4 {
                self.out.extend_from_slice(&self.chunk.to_be_bytes()[1..]);
                self.count = 0;
                self.chunk = 0;
            }
        } else if b == b'=' {
            self.flush();
        }
    }

    /// Emits an incomplete group; false when one character was left over,
    /// which holds less than a byte.
    fn flush(&mut self) -> bool {
        let whole = match self.count {
            2 => {
                self.out.push((self.chunk >> 4) as u8);
                true
            }
            3 => {
                self.out
                    .extend_from_slice(&[(self.chunk >> 10) as u8, (self.chunk >> 2) as u8]);
                true
            }
            0 => true,
            _ => false,
        };
        self.count = 0;
        self.chunk = 0;
        whole
    }
}

/// Decodes what can be decoded from a damaged body.
pub fn decode_lenient(body: &[u8]) -> (Vec<u8>, Damage) {
    let lines: Vec<Vec<u8>> = body
        .split(|&b| b == b'\n')
        .map(|l| {
            l.iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect()
        })
        .filter(|l: &Vec<u8>| !l.is_empty())
        .collect();
    let mut damage = Damage::default();
    let mut d = Decoder::default();
    // The last line of data; trailing lines that are not base64 (a list
    // footer, a signature) are damage after it.
    let last = lines
        .iter()
        .rposition(|l| l.iter().all(|&b| is_data(b)))
        .unwrap_or(lines.len().saturating_sub(1));
    let typical = typical_length(&lines[..last]);
    for (i, line) in lines.iter().enumerate() {
        let invalid = line.iter().filter(|&&b| !is_data(b)).count();
        if i > last {
            damage.lost = true;
        } else if !typical.is_multiple_of(4) || i == last {
            // An encoder with odd line lengths (or the last line): read it
            // as a stream, dropping what is not base64.
            damage.lost |= invalid > 0;
            line.iter().for_each(|&b| d.push(b));
        } else if invalid == 0 && line.len().is_multiple_of(4) {
            line.iter().for_each(|&b| d.push(b));
        } else if line.len() == typical {
            // Characters damaged in place: zero bits keep the alignment and
            // every other byte of the line.
            damage.lost = true;
            for &b in line {
                d.push(if is_data(b) { b } else { b'A' });
            }
        } else {
            damage.lost = true;
        }
    }
    match d.count {
        0 => {}
        1 => damage.lost = true,
        _ => damage.unpadded = true,
    }
    d.flush();
    (d.out, damage)
}

/// The most common line length, longer first on a tie; 0 for no lines.
fn typical_length(lines: &[Vec<u8>]) -> usize {
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for l in lines {
        match counts.iter_mut().find(|(len, _)| *len == l.len()) {
            Some((_, n)) => *n += 1,
            None => counts.push((l.len(), 1)),
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(len, n)| (n, len))
        .map_or(0, |(len, _)| len)
}

/// Standard base64 in lines of 76 characters (RFC 2045 §6.8).
pub fn encode_lines(bytes: &[u8]) -> Vec<u8> {
    let text = STANDARD.encode(bytes);
    let mut out = Vec::with_capacity(text.len() + text.len() / 38 + 2);
    for line in text.as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8], width: usize) -> Vec<String> {
        STANDARD
            .encode(bytes)
            .as_bytes()
            .chunks(width)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect()
    }

    const TEXT: &[u8] =
        "Добрый день! Программа перестала печатать счета после обновления до 4.2.1, помогите."
            .as_bytes();

    #[test]
    fn a_garbage_line_in_the_middle_is_skipped() {
        for garbage in ["--- cut here ---", "garbage", "*", "Zm9v YmFy!"] {
            let mut l = lines(TEXT, 76);
            l.insert(1, garbage.to_string());
            let body = l.join("\r\n");
            assert!(!is_clean(body.as_bytes()), "{garbage}");
            let (out, damage) = decode_lenient(body.as_bytes());
            assert_eq!(out, TEXT, "{garbage}");
            assert!(damage.lost && !damage.unpadded, "{garbage}");
        }
    }

    #[test]
    fn missing_padding_and_a_cut_last_group_decode_as_far_as_they_go() {
        // One byte past a whole group: the encoding ends in "==".
        let data = &TEXT[..(TEXT.len() - 1) / 3 * 3 + 1];
        let body = lines(data, 76).join("\n");
        assert!(is_clean(body.as_bytes()) && body.ends_with("=="));
        let unpadded = body.trim_end_matches('=');
        assert!(!is_clean(unpadded.as_bytes()));
        assert_eq!(
            decode_lenient(unpadded.as_bytes()),
            (
                data.to_vec(),
                Damage {
                    lost: false,
                    unpadded: true
                }
            )
        );
        let (out, damage) = decode_lenient(b"SGVsbG8gd29ybGQ");
        assert_eq!(out, b"Hello world");
        assert!(damage.unpadded);
    }

    #[test]
    fn a_character_damaged_in_place_loses_only_its_own_bits() {
        let mut l = lines(&[0x55u8; 200], 76);
        l[1].replace_range(10..11, "!");
        let (out, damage) = decode_lenient(l.join("\n").as_bytes());
        assert!(damage.lost);
        assert_eq!(out.len(), 200);
        // Six bits span at most two bytes.
        assert!(out.iter().filter(|&&b| b != 0x55).count() <= 2);
    }

    #[test]
    fn odd_line_lengths_and_concatenated_chunks_are_not_damage() {
        let body = lines(TEXT, 73).join("\n");
        assert_eq!(
            decode_lenient(body.as_bytes()),
            (TEXT.to_vec(), Damage::default())
        );
        let (out, damage) = decode_lenient(b"SGVsbG8=\r\nIHdvcmxk\r\n");
        assert_eq!(out, b"Hello world");
        assert!(!damage.any());
        let (out, damage) = decode_lenient(b"SGVsbG8gd29ybGQ=\r\n-- \r\nThe list footer.\r\n");
        assert_eq!(out, b"Hello world");
        assert!(damage.lost);
    }

    #[test]
    fn plain_text_labelled_base64_is_not_base64() {
        let text = b"Hello, this was never encoded.\r\nSecond line of it.\r\nBye\r\n";
        assert!(!looks_like_base64(text));
        let mut l = lines(TEXT, 76);
        l.insert(1, "--- cut here ---".into());
        assert!(looks_like_base64(l.join("\r\n").as_bytes()));
    }

    #[test]
    fn encoded_lines_round_trip() {
        let encoded = encode_lines(TEXT);
        assert!(is_clean(&encoded));
        assert!(encoded.split(|&b| b == b'\n').all(|l| l.len() <= 77));
        assert_eq!(decode_lenient(&encoded).0, TEXT);
    }
}
