//! Turning stored text into safe HTML for pages.

use linkify::{LinkFinder, LinkKind};

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Escapes message text and makes its http(s) links clickable. The result
/// is safe to mark `|safe` in a template: every byte of the input is
/// escaped, and only links we build are markup.
pub fn linkify(text: &str) -> String {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]);
    let mut out = String::with_capacity(text.len() + 64);
    for span in finder.spans(text) {
        let s = span.as_str();
        let is_web =
            span.kind().is_some() && (s.starts_with("http://") || s.starts_with("https://"));
        if is_web {
            out.push_str("<a href=\"");
            escape(s, &mut out);
            out.push_str("\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">");
            escape(s, &mut out);
            out.push_str("</a>");
        } else {
            escape(s, &mut out);
        }
    }
    out
}

/// Where quoted earlier conversation starts in a mail's text, if it does:
/// a line quoted with ">", or the line a client writes above a quote.
fn quote_start(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim();
        let lower = l.to_lowercase();
        let intro = l.starts_with('>')
            || (lower.ends_with("wrote:") && lower.len() < 200)
            || lower.ends_with("пишет:")
            || lower.ends_with("писал(а):")
            || lower.ends_with("написал(а):")
            || lower.contains("-----original message-----")
            || lower.contains("исходное сообщение");
        if intro && offset > 0 {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// What an erased message shows instead of its text (escaped `label`).
pub fn erased_html(label: &str) -> String {
    let mut out = String::from("<p class=\"erased\">");
    escape(label, &mut out);
    out.push_str("</p>");
    out
}

/// Message text as HTML with the quoted history folded away (kept, one
/// click from view). Safe to mark `|safe`: built from [`linkify`].
pub fn message_html(text: &str, fold_label: &str) -> String {
    match quote_start(text) {
        Some(at) => {
            let (main, quoted) = text.split_at(at);
            let mut label = String::new();
            escape(fold_label, &mut label);
            format!(
                "{}<details class=\"quoted\"><summary>{label}</summary>{}</details>",
                linkify(main.trim_end()),
                linkify(quoted)
            )
        }
        None => linkify(text),
    }
}

#[cfg(test)]
mod tests {
    use super::{linkify, message_html};

    #[test]
    fn quoted_history_is_folded_but_kept() {
        let text = "Thanks, it works!\n\nOn Tue, 24 Nov 2026, Support <s@x> wrote:\n> Try again\n> please\n";
        let html = message_html(text, "…");
        assert!(
            html.starts_with(
                "Thanks, it works!<details class=\"quoted\"><summary>…</summary>On Tue"
            )
        );
        assert!(html.contains("&gt; Try again"));
        let ru = "Спасибо!\n\n25.11.2026, Поддержка пишет:\n> Проверьте\n";
        assert!(message_html(ru, "…").contains("<details"));
        assert_eq!(
            message_html("> a quote first line is no fold", "…"),
            "&gt; a quote first line is no fold"
        );
    }

    #[test]
    fn text_is_escaped_and_web_links_clickable() {
        assert_eq!(
            linkify("<b>hi</b> & bye"),
            "&lt;b&gt;hi&lt;/b&gt; &amp; bye"
        );
        assert_eq!(
            linkify("see https://example.com/a?b=1&c=2."),
            "see <a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">https://example.com/a?b=1&amp;c=2</a>."
        );
    }

    #[test]
    fn dangerous_schemes_stay_text() {
        assert_eq!(linkify("javascript:alert(1)"), "javascript:alert(1)");
        assert!(!linkify("\"><script>x</script>https://a.example").contains("<script>"));
    }
}

/// The browser and system a User-Agent names ("Chrome", "Linux"), for the
/// list of sessions; `None` for what it does not recognise. Proper names,
/// not translated.
pub fn device(user_agent: &str) -> Option<(&'static str, &'static str)> {
    const BROWSERS: [(&str, &str); 9] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("YaBrowser/", "Yandex Browser"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ];
    const SYSTEMS: [(&str, &str); 7] = [
        ("Windows", "Windows"),
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let browser = BROWSERS.iter().find(|(m, _)| user_agent.contains(m))?.1;
    let system = SYSTEMS
        .iter()
        .find(|(m, _)| user_agent.contains(m))
        .map_or("", |(_, s)| *s);
    Some((browser, system))
}

#[cfg(test)]
mod device_tests {
    use super::device;

    #[test]
    fn user_agents_read_as_browser_and_system() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                ("Chrome", "Linux"),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                ("Edge", "Windows"),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                ("Safari", "iOS"),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0",
                ("Firefox", "macOS"),
            ),
            (
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) YaBrowser/24.10 Mobile Safari/537.36",
                ("Yandex Browser", "Android"),
            ),
        ];
        for (ua, want) in cases {
            assert_eq!(device(ua), Some(want), "{ua}");
        }
        assert_eq!(device("reqwest"), None);
    }
}

/// The time zones grouped by region ("Europe"), each as (IANA name, label
/// "Moscow — UTC+03:00"), sorted by label within its region. Legacy names
/// ("Etc/GMT+3", "US/Pacific", bare "UTC") are left out of the list; a saved
/// one still shows, at the end, as "Other".
pub fn time_zone_groups(saved: &str) -> Vec<(String, Vec<(String, String)>)> {
    const REGIONS: [&str; 10] = [
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    ];
    let now = jiff::Timestamp::now();
    let label = |name: &str| {
        let offset = jiff::tz::TimeZone::get(name)
            .map(|tz| tz.to_offset(now).to_string())
            .unwrap_or_default();
        let place = name
            .split_once('/')
            .map_or(name, |(_, p)| p)
            .replace('_', " ");
        format!("{} — UTC{offset}", place.replace('/', " / "))
    };
    let mut groups: Vec<(String, Vec<(String, String)>)> = REGIONS
        .iter()
        .map(|r| (r.to_string(), Vec::new()))
        .collect();
    let mut other = Vec::new();
    for name in jiff::tz::db().available() {
        let name = name.to_string();
        match name
            .split_once('/')
            .and_then(|(region, _)| groups.iter_mut().find(|(r, _)| r == region))
        {
            Some((_, zones)) => zones.push((name.clone(), label(&name))),
            None if name == saved || name == "UTC" => other.push((name.clone(), label(&name))),
            None => {}
        }
    }
    for (_, zones) in &mut groups {
        zones.sort_by(|a, b| a.1.cmp(&b.1));
    }
    groups.retain(|(_, zones)| !zones.is_empty());
    if !other.is_empty() {
        groups.push(("Other".to_string(), other));
    }
    groups
}

#[cfg(test)]
mod zone_tests {
    #[test]
    fn zones_are_grouped_by_region_with_their_offset() {
        let groups = super::time_zone_groups("");
        let europe = &groups
            .iter()
            .find(|(r, _)| r == "Europe")
            .expect("Europe")
            .1;
        let moscow = europe
            .iter()
            .find(|(n, _)| n == "Europe/Moscow")
            .expect("Moscow");
        assert_eq!(moscow.1, "Moscow — UTC+03");
        assert!(
            groups
                .iter()
                .all(|(_, z)| z.iter().all(|(n, _)| !n.starts_with("Etc/")))
        );
        let kept = super::time_zone_groups("Etc/GMT-3");
        assert!(
            kept.last()
                .expect("other")
                .1
                .iter()
                .any(|(n, _)| n == "Etc/GMT-3")
        );
    }
}
