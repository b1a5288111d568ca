//! What an uploaded file is, decided by its content, never by its name:
//! magic bytes for images and PDF, a scan of every byte for text (command
//! output such as traceroute or SMART data).

/// A content type Bilet accepts from customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Png,
    Gif,
    Jpeg,
    Pdf,
    /// Text; `utf8` when every byte sequence is valid UTF-8.
    Text {
        utf8: bool,
    },
}

impl Kind {
    /// The Content-Type it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Png => "image/png",
            Kind::Gif => "image/gif",
            Kind::Jpeg => "image/jpeg",
            Kind::Pdf => "application/pdf",
            Kind::Text { utf8: true } => "text/plain; charset=utf-8",
            Kind::Text { utf8: false } => "text/plain",
        }
    }
}

/// Whether a stored content type may be shown inline by browsers (safe
/// raster images); everything else is served as a download.
pub fn shown_inline(content_type: &str) -> bool {
    matches!(content_type, "image/png" | "image/gif" | "image/jpeg")
}

/// Accumulates what a file's bytes look like, chunk by chunk, so that a
/// file is classified while it streams and is never held whole.
#[derive(Debug, Default)]
pub struct Sniffer {
    head: Vec<u8>,
    len: u64,
    nul: bool,
    controls: u64,
    // An incomplete UTF-8 sequence at the end of the previous chunk.
    carry: Vec<u8>,
    utf8: bool,
}

impl Sniffer {
    pub fn new() -> Self {
        Self {
            utf8: true,
            ..Self::default()
        }
    }

    pub fn update(&mut self, chunk: &[u8]) {
        if self.head.len() < 16 {
            let take = (16 - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.len += chunk.len() as u64;
        for &b in chunk {
            match b {
                0 => self.nul = true,
                // Tab, newline, form feed, carriage return and ESC (colours in
                // command output) are ordinary in text.
                b'\t' | b'\n' | 0x0c | b'\r' | 0x1b => {}
                b if b < 0x20 || b == 0x7f => self.controls += 1,
                _ => {}
            }
        }
        if self.utf8 {
            let mut bytes = std::mem::take(&mut self.carry);
            bytes.extend_from_slice(chunk);
            match std::str::from_utf8(&bytes) {
                Ok(_) => {}
                Err(e) if e.error_len().is_none() => self.carry = bytes[e.valid_up_to()..].to_vec(),
                Err(_) => self.utf8 = false,
            }
        }
    }

    /// What a refused file's content is, as a locale key, for the message.
    pub fn refused_content(&self) -> &'static str {
        let h = &self.head;
        if h.starts_with(b"\x7fELF")
            || h.starts_with(b"MZ")
            || h.starts_with(&[0xcf, 0xfa, 0xed, 0xfe])
            || h.starts_with(&[0xca, 0xfe, 0xba, 0xbe])
        {
            "content-program"
        } else if h.starts_with(b"PK\x03\x04")
            || h.starts_with(&[0x1f, 0x8b])
            || h.starts_with(b"7z\xbc\xaf")
            || h.starts_with(b"Rar!")
            || h.starts_with(b"BZh")
            || h.starts_with(&[0xfd, b'7', b'z', b'X', b'Z'])
        {
            "content-archive"
        } else if self.len == 0 {
            "content-empty"
        } else {
            "content-binary"
        }
    }

    /// The verdict: `None` when the content is none of the accepted kinds.
    pub fn finish(self) -> Option<Kind> {
        let h = &self.head;
        if h.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(Kind::Png);
        }
        if h.starts_with(b"GIF87a") || h.starts_with(b"GIF89a") {
            return Some(Kind::Gif);
        }
        if h.starts_with(&[0xff, 0xd8, 0xff]) {
            return Some(Kind::Jpeg);
        }
        if h.starts_with(b"%PDF-") {
            return Some(Kind::Pdf);
        }
        // Text: no NUL byte and almost no other control characters (legacy
        // encodings such as windows-1251 are text too, just not UTF-8).
        let text = self.len > 0 && !self.nul && self.controls * 100 <= self.len;
        text.then_some(Kind::Text {
            utf8: self.utf8 && self.carry.is_empty(),
        })
    }
}

/// Classifies a whole byte slice (tests, small inputs).
pub fn classify(bytes: &[u8]) -> Option<Kind> {
    let mut s = Sniffer::new();
    s.update(bytes);
    s.finish()
}

/// What a file name claims to be, as a locale key ("a PNG image"), when
/// its extension is one of the accepted kinds.
pub fn claimed_by(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "claimed-png",
        "gif" => "claimed-gif",
        "jpg" | "jpeg" => "claimed-jpeg",
        "pdf" => "claimed-pdf",
        "txt" | "log" | "csv" => "claimed-text",
        _ => return None,
    })
}

/// A file name safe to store and to put in a Content-Disposition header:
/// no path, no control characters, not empty, at most 200 characters.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "attachment".to_string()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_files_say_what_they_are() {
        let mut s = Sniffer::new();
        s.update(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0");
        assert_eq!(s.refused_content(), "content-program");
        let mut s = Sniffer::new();
        s.update(b"PK\x03\x04\x14\0\0\0\x08\0");
        assert_eq!(s.refused_content(), "content-archive");
        assert_eq!(claimed_by("screenshot.PNG"), Some("claimed-png"));
        assert_eq!(claimed_by("notes"), None);
        assert_eq!(claimed_by("setup.exe"), None);
    }

    #[test]
    fn images_and_pdf_are_known_by_their_magic_bytes() {
        assert_eq!(classify(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(Kind::Png));
        assert_eq!(classify(b"GIF89a\x01\0\x01\0"), Some(Kind::Gif));
        assert_eq!(
            classify(&[0xff, 0xd8, 0xff, 0xe0, 0, 0x10]),
            Some(Kind::Jpeg)
        );
        assert_eq!(classify(b"%PDF-1.7\n%\xe2\xe3"), Some(Kind::Pdf));
    }

    #[test]
    fn command_output_is_text_in_any_encoding() {
        let traceroute =
            b"traceroute to example.com (93.184.216.34), 30 hops max\n 1  10.0.0.1  0.512 ms\n";
        assert_eq!(classify(traceroute), Some(Kind::Text { utf8: true }));
        assert_eq!(
            classify("Ошибка диска\n".as_bytes()),
            Some(Kind::Text { utf8: true })
        );
        // windows-1251 "Ошибка"
        assert_eq!(
            classify(b"\xce\xf8\xe8\xe1\xea\xe0\r\n"),
            Some(Kind::Text { utf8: false })
        );
        assert_eq!(
            classify(b"\x1b[31mred\x1b[0m\n"),
            Some(Kind::Text { utf8: true })
        );
    }

    #[test]
    fn binaries_and_empty_files_are_refused() {
        assert_eq!(classify(b"MZ\x90\0\x03\0\0\0"), None, "an .exe");
        assert_eq!(classify(b"PK\x03\x04\x14\0\0\0"), None, "a zip");
        assert_eq!(classify(b""), None);
        assert_eq!(classify(&[1u8, 2, 3, 4, 5, 6, 7, 8]), None);
    }

    #[test]
    fn utf8_split_across_chunks_is_still_utf8() {
        let text = "Привет".as_bytes();
        let mut s = Sniffer::new();
        s.update(&text[..3]);
        s.update(&text[3..]);
        assert_eq!(s.finish(), Some(Kind::Text { utf8: true }));
    }

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(
            clean_filename("C:\\Users\\me\\скриншот 1.png"),
            "скриншот 1.png"
        );
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("a\r\nb\".txt"), "ab.txt");
        assert_eq!(clean_filename(".."), "attachment");
    }
}
