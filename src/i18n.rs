//! Every visible string, and dates and numbers in the reader's language and
//! time zone. Strings live in `locales/<lang>/main.ftl` (Fluent), compiled
//! in; a new language is one more folder with one file. Date and number
//! patterns are Fluent messages too (`fmt-*`), so that file is all a
//! language needs.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use time::OffsetDateTime;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Unicode isolation marks around arguments would end up in HTML
        // attributes and mail subjects; our texts are never mixed-direction.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language Bilet ships, e.g. `en` or `ru`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale(LanguageIdentifier);

impl Locale {
    /// The shipped language with this code, if any (`ru`, `ru-RU` → `ru`).
    pub fn parse(code: &str) -> Option<Locale> {
        let wanted: LanguageIdentifier = code.trim().parse().ok()?;
        LOCALES
            .locales()
            .find(|l| l.language == wanted.language)
            .map(|l| Locale(l.clone()))
    }

    /// The fallback language.
    pub fn fallback() -> Locale {
        Locale::parse("en").expect("English is always shipped")
    }

    /// Its code as used in URLs, cookies and `<html lang>`.
    pub fn code(&self) -> String {
        self.0.language.as_str().to_string()
    }

    /// The best shipped language for an `Accept-Language` header.
    pub fn negotiate(accept_language: &str) -> Option<Locale> {
        let mut wanted: Vec<(f32, &str)> = accept_language
            .split(',')
            .filter_map(|item| {
                let mut parts = item.trim().split(';');
                let tag = parts.next()?.trim();
                let q = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                (!tag.is_empty() && tag != "*" && q > 0.0).then_some((q, tag))
            })
            .collect();
        // Stable sort keeps the header's order among equal weights.
        wanted.sort_by(|a, b| b.0.total_cmp(&a.0));
        wanted.into_iter().find_map(|(_, tag)| Locale::parse(tag))
    }

    /// One message.
    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(&self.0, key)
    }

    /// One message with arguments.
    pub fn t_with(&self, key: &str, args: &[(&'static str, Arg)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    Arg::Str(s) => FluentValue::from(s.as_str()),
                    Arg::Num(n) => FluentValue::from(*n),
                };
                (Cow::Borrowed(*name), value)
            })
            .collect();
        LOCALES.lookup_with_args(&self.0, key, &args)
    }

    /// Whether this language has the message (not its fallback).
    pub fn has(&self, key: &str) -> bool {
        LOCALES
            .lookup_no_default_fallback::<&str>(&self.0, key, None)
            .is_some()
    }
}

/// A Fluent argument: text, or a number (numbers drive plural forms).
#[derive(Debug, Clone)]
pub enum Arg {
    Str(String),
    Num(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Str(s.to_string())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Str(s)
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Num(n)
    }
}

/// Codes of every shipped language, sorted.
pub fn available() -> Vec<String> {
    let mut codes: Vec<String> = LOCALES
        .locales()
        .map(|l| l.language.as_str().to_string())
        .collect();
    codes.sort();
    codes
}

/// Whether `code` names a shipped language.
pub fn is_available(code: &str) -> bool {
    Locale::parse(code).is_some()
}

/// Dates, times and numbers for one reader: their language and time zone.
#[derive(Debug, Clone)]
pub struct Formatter {
    locale: Locale,
    tz: jiff::tz::TimeZone,
}

impl Formatter {
    pub fn new(locale: Locale, tz: jiff::tz::TimeZone) -> Self {
        Self { locale, tz }
    }

    fn zoned(&self, at: OffsetDateTime) -> jiff::Zoned {
        let ts = jiff::Timestamp::from_second(at.unix_timestamp())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        ts.to_zoned(self.tz.clone())
    }

    /// "Nov 25, 2026" / "25 нояб. 2026 г."
    pub fn date(&self, at: OffsetDateTime) -> String {
        let z = self.zoned(at);
        self.locale.t_with(
            "fmt-date",
            &[
                ("day", z.day().to_string().into()),
                (
                    "month",
                    self.locale.t(&format!("fmt-month-{}", z.month())).into(),
                ),
                ("year", z.year().to_string().into()),
            ],
        )
    }

    /// "9:05 PM" / "21:05"
    pub fn time(&self, at: OffsetDateTime) -> String {
        let z = self.zoned(at);
        let hour = z.hour();
        let hour12 = match hour % 12 {
            0 => 12,
            h => h,
        };
        let ampm = if hour < 12 { "fmt-am" } else { "fmt-pm" };
        self.locale.t_with(
            "fmt-time",
            &[
                ("hour", format!("{hour:02}").into()),
                ("hour12", hour12.to_string().into()),
                ("minute", format!("{:02}", z.minute()).into()),
                ("ampm", self.locale.t(ampm).into()),
            ],
        )
    }

    /// Date and time together.
    pub fn datetime(&self, at: OffsetDateTime) -> String {
        self.locale.t_with(
            "fmt-datetime",
            &[
                ("date", self.date(at).into()),
                ("time", self.time(at).into()),
            ],
        )
    }

    /// The date and time with the reader's zone named, for titles:
    /// "25 нояб. 2026 г., 00:05 · Europe/Moscow (UTC+03:00)".
    pub fn exact(&self, at: OffsetDateTime) -> String {
        let z = self.zoned(at);
        let zone = self.tz.iana_name().unwrap_or("UTC");
        format!("{} · {zone} (UTC{})", self.datetime(at), z.strftime("%:z"))
    }

    /// "just now", "5 minutes ago", "3 дня назад"; older than a week: the date.
    pub fn relative(&self, at: OffsetDateTime, now: OffsetDateTime) -> String {
        let secs = (now - at).whole_seconds();
        match secs {
            s if s < 60 => self.locale.t("rel-just-now"),
            s if s < 3600 => self
                .locale
                .t_with("rel-minutes-ago", &[("n", (s / 60).into())]),
            s if s < 86_400 => self
                .locale
                .t_with("rel-hours-ago", &[("n", (s / 3600).into())]),
            s if s < 7 * 86_400 => self
                .locale
                .t_with("rel-days-ago", &[("n", (s / 86_400).into())]),
            _ => self.date(at),
        }
    }

    /// A short span: "15 min", "2 h", "3 d" / "15 мин", "2 ч", "3 дн.".
    pub fn span(&self, secs: i64) -> String {
        let secs = secs.max(0);
        let (key, n) = match secs {
            s if s < 3600 => ("span-minutes", (s / 60).max(1)),
            s if s < 2 * 86_400 => ("span-hours", s / 3600),
            s => ("span-days", s / 86_400),
        };
        self.locale.t_with(key, &[("n", n.into())])
    }

    /// A due time as a queue shows it: ("due in 2 h", false) or
    /// ("overdue by 15 min", true).
    pub fn due(&self, due: OffsetDateTime, now: OffsetDateTime) -> (String, bool) {
        let secs = (due - now).whole_seconds();
        if due > now {
            let span = self.span(secs);
            (
                self.locale.t_with("sla-due-in", &[("span", span.into())]),
                false,
            )
        } else {
            let span = self.span(-secs);
            (
                self.locale
                    .t_with("sla-overdue-by", &[("span", span.into())]),
                true,
            )
        }
    }

    /// An integer with the language's digit grouping: "12,345" / "12 345".
    pub fn number(&self, n: i64) -> String {
        let sep = self.locale.t("fmt-group-separator");
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(&sep);
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    }

    /// A size in bytes for people: "980 B", "1.5 MB" / "1,5 МБ".
    pub fn bytes(&self, n: u64) -> String {
        const UNITS: [&str; 4] = ["fmt-bytes", "fmt-kb", "fmt-mb", "fmt-gb"];
        let mut value = n as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit < UNITS.len() - 1 {
            value /= 1024.0;
            unit += 1;
        }
        let shown = if unit == 0 || value >= 10.0 {
            self.number(value.round() as i64)
        } else {
            let tenths = (value * 10.0).round() as i64;
            format!(
                "{}{}{}",
                tenths / 10,
                self.locale.t("fmt-decimal-separator"),
                tenths % 10
            )
        };
        self.locale.t_with(UNITS[unit], &[("n", shown.into())])
    }

    pub fn locale(&self) -> &Locale {
        &self.locale
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use time::macros::datetime;

    fn keys(ftl: &str) -> BTreeSet<String> {
        ftl.lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
            .collect()
    }

    #[test]
    fn every_english_key_exists_in_every_language() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        let en = keys(&std::fs::read_to_string(dir.join("en/main.ftl")).expect("en"));
        assert!(en.len() > 50, "the English file looks truncated");
        for entry in std::fs::read_dir(&dir).expect("locales dir") {
            let path = entry.expect("entry").path().join("main.ftl");
            let other = keys(&std::fs::read_to_string(&path).expect("ftl"));
            let missing: Vec<_> = en.difference(&other).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", path.display());
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(
                extra.is_empty(),
                "{} has keys English lacks: {extra:?}",
                path.display()
            );
        }
    }

    #[test]
    fn languages_are_negotiated_from_accept_language() {
        let code = |h: &str| Locale::negotiate(h).map(|l| l.code());
        assert_eq!(code("ru-RU,ru;q=0.9,en-US;q=0.8"), Some("ru".into()));
        assert_eq!(code("de-DE,de;q=0.9,en;q=0.5"), Some("en".into()));
        assert_eq!(code("en;q=0.2, ru;q=0.8"), Some("ru".into()));
        assert_eq!(code("de, fr"), None);
        assert_eq!(code("ru;q=0"), None);
    }

    #[test]
    fn dates_follow_language_and_time_zone() {
        let at = datetime!(2026-11-25 21:05 UTC);
        let en = Formatter::new(Locale::fallback(), jiff::tz::TimeZone::UTC);
        assert_eq!(en.datetime(at), "Nov 25, 2026, 9:05 PM");
        let moscow = jiff::tz::TimeZone::get("Europe/Moscow").expect("tz");
        let ru = Formatter::new(Locale::parse("ru").expect("ru"), moscow);
        assert_eq!(ru.datetime(at), "26 нояб. 2026 г., 00:05");
    }

    #[test]
    fn exact_times_name_the_readers_zone() {
        let at = datetime!(2026-11-25 21:05 UTC);
        let zone = jiff::tz::TimeZone::get("Europe/Moscow").expect("zone");
        let ru = Formatter::new(Locale::parse("ru").expect("ru"), zone);
        let exact = ru.exact(at);
        assert!(exact.contains("00:05"), "{exact}");
        assert!(exact.ends_with("Europe/Moscow (UTC+03:00)"), "{exact}");
    }

    #[test]
    fn due_times_say_how_long_is_left_or_overdue() {
        let en = Formatter::new(Locale::fallback(), jiff::tz::TimeZone::UTC);
        let ru = Formatter::new(Locale::parse("ru").expect("ru"), jiff::tz::TimeZone::UTC);
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("now");
        let h = time::Duration::hours(1);
        assert_eq!(en.due(now + 2 * h, now), ("due in 2 h".into(), false));
        assert_eq!(
            en.due(now - time::Duration::minutes(15), now),
            ("overdue by 15 min".into(), true)
        );
        assert_eq!(ru.due(now + 72 * h, now).0, "через 3 дн.");
        assert_eq!(ru.due(now - 5 * h, now).0, "просрочено на 5 ч");
    }

    #[test]
    fn relative_times_use_plural_forms() {
        let now = datetime!(2026-11-25 21:05 UTC);
        let ru = Formatter::new(Locale::parse("ru").expect("ru"), jiff::tz::TimeZone::UTC);
        let ago = |mins: i64| ru.relative(now - time::Duration::minutes(mins), now);
        assert_eq!(ago(1), "1 минуту назад");
        assert_eq!(ago(3), "3 минуты назад");
        assert_eq!(ago(5), "5 минут назад");
        let en = Formatter::new(Locale::fallback(), jiff::tz::TimeZone::UTC);
        assert_eq!(
            en.relative(now - time::Duration::hours(1), now),
            "1 hour ago"
        );
    }

    #[test]
    fn numbers_and_sizes_use_the_language_separators() {
        let en = Formatter::new(Locale::fallback(), jiff::tz::TimeZone::UTC);
        let ru = Formatter::new(Locale::parse("ru").expect("ru"), jiff::tz::TimeZone::UTC);
        assert_eq!(en.number(1_234_567), "1,234,567");
        assert_eq!(ru.number(1_234_567), "1\u{a0}234\u{a0}567");
        assert_eq!(en.number(-999), "-999");
        assert_eq!(en.bytes(1536), "1.5 KB");
        assert_eq!(ru.bytes(1536), "1,5\u{a0}КБ");
        assert_eq!(en.bytes(512), "512 B");
    }
}
