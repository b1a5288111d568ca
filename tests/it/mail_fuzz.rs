//! Fuzzing the pure mail path (parse → classify → threading → route) on
//! stable Rust, with no fuzzing crate: a small deterministic PRNG mutates
//! seed mails, and every mutant must neither panic nor take over a second.
//!
//! Seeds are our fixtures (tests/fixtures/mail) and, when the directory
//! exists, every file of the public corpus in ../shared/testdata/email/public,
//! read in place and never copied here. `BILET_FUZZ_SECONDS` bounds the run
//! (default 60); `BILET_FUZZ_SEED` picks another PRNG stream. A failure
//! names the seed file, the mutations and the iteration, and saves the
//! input in the temporary directory.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use bilet::domain::ids::DepartmentId;
use bilet::mail::limits::{
    MAX_ATTACHMENTS, MAX_DISPLAY_NAME_CHARS, MAX_FILENAME_BYTES, MAX_SUBJECT_CHARS,
};
use bilet::mail::{classify, parse, route, threading};

/// The longest one input may take.
const LIMIT: Duration = Duration::from_secs(1);
/// Past this an input counts as hung and the run stops waiting for it.
const HANG: Duration = Duration::from_secs(30);
/// Mutants grow to at most this: enough to show work that grows faster
/// than the input, while a debug build reads it well within [`LIMIT`].
const MAX_INPUT: usize = 256 << 10;

/// Charset labels to put where mails name one, `|`-separated: real
/// ones, rare ones, unknown and empty ones.
const CHARSETS: &str = "utf-8|koi8-r|windows-1251|cp866|iso-8859-5|utf-16|utf-16le|utf-7|\
    iso-2022-jp|gb18030|big5|shift_jis|ucs-2|x-unknown-42||\"|utf-8''";

/// Header values grown huge: long runs of what parsers scan for.
const PATTERNS: &str = "a| |=?|=?utf-8?B?0JA=?= |=?koi8-r?Q?|<x@y> |\"|;|(|\\|filename*0*=|\
    boundary=|%D0|\r\n ";

const HEADERS: &str = "Subject|From|To|Cc|References|In-Reply-To|Message-ID|Content-Type|\
    Content-Disposition|Content-Transfer-Encoding|Return-Path|X-Spam-Status";

/// SplitMix64: tiny and deterministic, plenty to pick mutations with.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when n is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// One of the `|`-separated items of `list`.
    fn pick<'a>(&mut self, list: &'a str) -> &'a str {
        let items: Vec<&str> = list.split('|').collect();
        items[self.below(items.len())]
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        // file_type() does not follow symlinks, so a link cannot loop us.
        match entry.file_type() {
            Ok(t) if t.is_dir() => collect(&entry.path(), out),
            Ok(t) if t.is_file() => out.push(entry.path()),
            _ => {}
        }
    }
}

/// Our fixtures and the public corpus when it is there, in a fixed order
/// so a seed number means the same run each time.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&root.join("tests/fixtures/mail"), &mut files);
    collect(&root.join("../shared/testdata/email/public"), &mut files);
    files.sort();
    let mut seeds: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .filter_map(|p| {
            Some((
                p.strip_prefix(root).unwrap_or(&p).display().to_string(),
                std::fs::read(&p).ok()?,
            ))
        })
        .collect();
    seeds.push((
        "inline multipart".into(),
        b"From: A <a@example.ru>\r\nTo: support@help.test\r\nSubject: Re: [#12] x\r\nIn-Reply-To: <t12.a@help.test>\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n--b\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n".to_vec(),
    ));
    seeds
}

fn line_starts(input: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            input
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .filter(|&i| i <= input.len())
        .collect()
}

fn boundary_of(input: &[u8], rng: &mut Rng) -> Vec<u8> {
    let found: Vec<Vec<u8>> = input
        .windows(9)
        .enumerate()
        .filter(|(_, w)| w.eq_ignore_ascii_case(b"boundary="))
        .map(|(i, _)| {
            // RFC 2046 boundaries are at most 70 characters.
            input[i + 9..]
                .iter()
                .take(72)
                .copied()
                .filter(|&b| b != b'"')
                .take_while(|b| !b.is_ascii_whitespace() && *b != b';')
                .collect()
        })
        .collect();
    match found.len() {
        0 => format!("b{}", rng.below(4)).into_bytes(),
        n => found[rng.below(n)].clone(),
    }
}

/// Applies one mutation; returns what it did, for the failure message.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>) -> String {
    let lines = line_starts(input);
    let line = |rng: &mut Rng| lines[rng.below(lines.len())];
    let line_end = |input: &[u8], at: usize| {
        input[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(input.len(), |p| at + p + 1)
    };
    match rng.below(8) {
        0 => {
            let flips = 1 + rng.below(16);
            for _ in 0..flips {
                if !input.is_empty() {
                    let at = rng.below(input.len());
                    input[at] ^= 1 << rng.below(8);
                }
            }
            format!("{flips} bit flips")
        }
        1 => {
            let at = rng.below(input.len() + 1);
            input.truncate(at);
            format!("truncated at {at}")
        }
        2 => {
            let at = line(rng);
            let copy = input[at..line_end(input, at)].to_vec();
            let most = if rng.below(4) == 0 { 2000 } else { 3 };
            let room = MAX_INPUT.saturating_sub(input.len()) / copy.len().max(1);
            let times = (1 + rng.below(most)).min(room);
            let repeated = copy.repeat(times);
            input.splice(at..at, repeated);
            format!("line at {at} repeated {times} times")
        }
        3 => {
            let at = line(rng);
            let count = 1 + rng.below(3);
            let mut end = at;
            for _ in 0..count {
                end = line_end(input, end);
            }
            input.drain(at..end);
            format!("{count} lines removed at {at}")
        }
        4 => {
            let at = line(rng);
            let b = boundary_of(input, rng);
            let closing = if rng.below(2) == 0 { "--" } else { "" };
            let text = [b"--".as_slice(), &b, closing.as_bytes(), b"\r\n"].concat();
            let described = format!(
                "boundary line {:?} inserted at {at}",
                String::from_utf8_lossy(&text)
            );
            input.splice(at..at, text);
            described
        }
        5 => {
            let at = if rng.below(2) == 0 { 0 } else { line(rng) };
            let name = rng.pick(HEADERS);
            let pattern = rng.pick(PATTERNS);
            let room = MAX_INPUT.saturating_sub(input.len());
            let len = (1000 + rng.below(200_000)).min(room);
            let value = pattern.repeat(len / pattern.len().max(1));
            input.splice(at..at, format!("{name}: {value}\r\n").into_bytes());
            format!("{name} of {len} bytes of {pattern:?} at {at}")
        }
        6 => {
            let at = rng.below(input.len() + 1);
            let count = 1 + rng.below(64);
            input.splice(at..at, std::iter::repeat_n(0u8, count));
            format!("{count} NUL bytes at {at}")
        }
        _ => {
            let charset = rng.pick(CHARSETS);
            let places: Vec<usize> = input
                .windows(8)
                .enumerate()
                .filter(|(_, w)| w.eq_ignore_ascii_case(b"charset="))
                .map(|(i, _)| i + 8)
                .collect();
            if places.is_empty() {
                let word = format!("Subject: =?{charset}?B?0J/RgNC40LLQtdGC?= x\r\n");
                input.splice(0..0, word.into_bytes());
                format!("encoded word in {charset:?}")
            } else {
                let at = places[rng.below(places.len())];
                let end = input[at..]
                    .iter()
                    .position(|b| b.is_ascii_whitespace() || *b == b';')
                    .map_or(input.len(), |p| at + p);
                input.splice(at..end, charset.bytes());
                format!("charset at {at} set to {charset:?}")
            }
        }
    }
}

/// The pure path the gateway runs on every mail, with the parser's limits
/// checked on its output.
fn pipeline(raw: &[u8]) {
    let m = parse::parse(raw);
    assert!(
        m.subject
            .as_ref()
            .is_none_or(|s| s.chars().count() <= MAX_SUBJECT_CHARS)
    );
    assert!(m.attachments.len() <= MAX_ATTACHMENTS);
    assert!(
        m.attachments
            .iter()
            .all(|a| !a.filename.is_empty() && a.filename.len() <= MAX_FILENAME_BYTES)
    );
    let names = m.from.iter().chain(&m.reply_to).chain(&m.to).chain(&m.cc);
    assert!(
        names
            .filter_map(|mb| mb.name.as_ref())
            .all(|n| n.chars().count() <= MAX_DISPLAY_NAME_CHARS)
    );
    assert!(!m.text.contains('\0') && !m.html.as_ref().is_some_and(|h| h.contains('\0')));
    for to_bounce_address in [false, true] {
        classify::classify(&m, to_bounce_address);
    }
    classify::returned_message_id(&m.text);
    let sender = m.from.as_ref().map_or("", |f| f.address.as_str());
    classify::is_robot(sender);
    threading::referenced_ids(&m);
    let prefixes = ["#".to_string(), "Ticket#".to_string()];
    let subject = m.subject.as_deref().unwrap_or("");
    threading::tag_number(subject, &prefixes);
    threading::strip_tags(subject, &prefixes);
    let (tech, billing) = (DepartmentId::new(), DepartmentId::new());
    let rules = [
        route::Rule::SenderDomain("example.ru".into(), billing),
        route::Rule::SubjectContains("счёт".into(), billing),
    ];
    let input = route::Input {
        to: &m.to,
        cc: &m.cc,
        envelope: &m.delivered_to,
        sender,
        subject,
    };
    let department_of = |a: &str| (a == "support@help.test").then_some(tech);
    route::route(&input, department_of, &rules, Some(tech));
}

/// Runs the pipeline on its own thread, named after the input so even a
/// stack overflow (which aborts) says which one. Returns the time taken,
/// or the panic message.
fn run(name: String, input: Arc<Vec<u8>>) -> Result<Duration, String> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new().name(name).spawn(move || {
        let started = Instant::now();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| pipeline(&input)));
        let message = outcome.map_err(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic".into())
        });
        let _ = tx.send(message.map(|()| started.elapsed()));
    });
    if let Err(e) = spawned {
        return Err(format!("no thread: {e}"));
    }
    rx.recv_timeout(HANG)
        .unwrap_or_else(|_| Err(format!("still running after {HANG:?}")))
}

fn check(what: &str, seed: u64, iteration: u64, input: Vec<u8>) {
    let input = Arc::new(input);
    let name = format!("fuzz {iteration}: {what}").replace('\0', "\\0");
    let outcome = run(name.clone(), input.clone()).and_then(|took| {
        if took <= LIMIT {
            return Ok(took);
        }
        // Measured again, the fastest counts: on a busy machine (two cores,
        // the rest of the suite) one run can be stalled for a while.
        let again = [
            run(name.clone(), input.clone())?,
            run(name.clone(), input.clone())?,
        ];
        let best = again.into_iter().fold(took, Duration::min);
        if best <= LIMIT {
            Ok(best)
        } else {
            Err(format!("took {best:?} (limit {LIMIT:?})"))
        }
    });
    if let Err(problem) = outcome {
        let saved = std::env::temp_dir().join(format!("bilet-fuzz-{seed}-{iteration}.eml"));
        let saved = match std::fs::write(&saved, input.as_slice()) {
            Ok(()) => saved.display().to_string(),
            Err(e) => format!("not saved ({e})"),
        };
        panic!(
            "{what}: {problem}\n  iteration {iteration}, BILET_FUZZ_SEED={seed}\n  input: {saved}"
        );
    }
}

#[test]
fn mutated_mail_never_panics_or_stalls_the_mail_path() {
    let budget = Duration::from_secs(env_number("BILET_FUZZ_SECONDS", 60));
    let seed = env_number("BILET_FUZZ_SEED", 0x00B1_1E75);
    let deadline = Instant::now() + budget;
    let seeds = seeds();
    let mut rng = Rng(seed);
    let mut iteration = 0;
    for (name, raw) in &seeds {
        check(
            &format!("seed {name}, unmutated"),
            seed,
            iteration,
            raw.clone(),
        );
        iteration += 1;
    }
    while Instant::now() < deadline {
        let (name, raw) = &seeds[rng.below(seeds.len())];
        let mut input = raw.clone();
        let done: Vec<String> = (0..1 + rng.below(4))
            .map(|_| mutate(&mut rng, &mut input))
            .collect();
        input.truncate(MAX_INPUT.max(raw.len()));
        let what = format!("seed {name}, mutations [{}]", done.join("; "));
        check(&what, seed, iteration, input);
        iteration += 1;
    }
    eprintln!(
        "mail fuzz: {iteration} inputs from {} seeds in {budget:?}",
        seeds.len()
    );
}

/// Structures a random walk seldom builds, written to cost time that
/// grows faster than the mail: each was quadratic somewhere once (ours,
/// or html5ever's under ammonia).
#[test]
fn hostile_structures_stay_within_the_time_limit() {
    let n = 10_000;
    let mut nested = String::from("Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
    let mut siblings = String::from("Content-Type: multipart/mixed; boundary=\"top\"\r\n\r\n");
    let mut parts = String::from("Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n");
    for i in 0..n {
        nested.push_str(&format!(
            "--b{i}\r\nContent-Type: multipart/mixed; boundary=\"b{}\"\r\n\r\n",
            i + 1
        ));
        siblings.push_str(&format!(
            "--top\r\nContent-Type: multipart/alternative; boundary=\"s{i}\"\r\n\r\n--s{i}\r\nContent-Type: text/plain\r\n\r\nx\r\n"
        ));
        parts.push_str(&format!(
            "--m\r\nContent-Type: application/pdf; name=\"{i}.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBE!!Ri0x\r\n"
        ));
    }
    let segments: String = (0..n).map(|i| format!(" filename*{i}*=%D0%90;")).collect();
    let references: String = (0..n).map(|i| format!(" <{i}@x>")).collect();
    let reopened: String = (0..n / 5).map(|i| format!("<b id={i}>")).collect();
    let html = |body: &str| format!("Content-Type: text/html; charset=utf-8\r\n\r\n{body}\r\n");
    let cases = [
        ("nested multiparts, none closed", nested),
        ("sibling multiparts, none closed", siblings),
        ("damaged base64 attachments", parts),
        (
            "RFC 2231 segments",
            format!(
                "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Disposition: attachment;{segments}\r\n\r\nx\r\n--m--\r\n"
            ),
        ),
        (
            "encoded words",
            format!(
                "Subject:{}\r\nFrom: {}\r\n\r\nx\r\n",
                " =?utf-8?B?0JA=?=".repeat(n),
                "=?a?B?x".repeat(n)
            ),
        ),
        (
            "references",
            format!("References:{references}\r\nIn-Reply-To:{references}\r\n\r\nx\r\n"),
        ),
        ("HTML nested deep", html(&"<div>".repeat(n * 10))),
        (
            "HTML re-opening formatting",
            html(&format!("<p>{reopened}</p>{}", "<p>x</p>".repeat(n))),
        ),
        (
            "HTML escapes in one paragraph",
            html(&"« &amp; &nbsp;".repeat(n * 2)),
        ),
        (
            "text read in the wrong charset",
            format!(
                "Content-Type: text/plain; charset=iso-8859-5\r\n\r\n{}\r\n",
                "Счёт ".repeat(n * 2)
            ),
        ),
    ];
    for (iteration, (what, raw)) in cases.into_iter().enumerate() {
        check(what, 0, iteration as u64, raw.into_bytes());
    }
}
