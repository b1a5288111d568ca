//! A mail text filled in: placeholders replaced, the plain part and the
//! HTML part made from the same text, and the checks a text must pass
//! before it is kept. No SQL here.

use crate::domain::placeholders::{self, Values};
use crate::i18n::Locale;
use crate::service::{FieldError, FieldErrors};

use super::{BODY_MAX, MailKind, MailText, SUBJECT_MAX};

/// One star link of the resolved mail: how many stars and its address.
#[derive(Debug, Clone)]
pub struct Star {
    pub n: i16,
    pub link: String,
}

/// What the placeholders stand for in one mail.
#[derive(Debug, Clone, Default)]
pub struct Fill<'a> {
    pub customer_name: &'a str,
    pub agent_name: &'a str,
    pub department_name: &'a str,
    pub ticket_number: &'a str,
    pub ticket_subject: &'a str,
    pub ticket_link: Option<&'a str>,
    pub claim_link: Option<&'a str>,
    /// An agent's words with their signature (`{{reply.body}}`).
    pub reply_body: Option<&'a str>,
    /// The rating links (`{{rating.links}}`).
    pub stars: Option<&'a [Star]>,
}

/// A mail ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    /// The HTML part's content, without the document around it.
    pub html_body: String,
    /// The whole HTML part.
    pub html: String,
}

/// One piece of a text: as written, or a placeholder.
enum Piece<'a> {
    Literal(&'a str),
    Placeholder { raw: &'a str, name: &'a str },
}

/// `template` cut into literals and placeholders, read the way
/// `domain::placeholders` reads signatures (an unclosed `{{` is text).
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        if start > 0 {
            out.push(Piece::Literal(&rest[..start]));
        }
        out.push(Piece::Placeholder {
            raw: &rest[start..start + 2 + end + 2],
            name: after[..end].trim(),
        });
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Literal(rest));
    }
    out
}

/// Filled text: plain runs, links, and blocks that have their own HTML
/// (an agent's reply keeps its line breaks, star links are buttons).
enum Out {
    Text(String),
    Link(String),
    Block { text: String, html: String },
}

fn fill(template: &str, f: &Fill<'_>, locale: &Locale) -> Vec<Out> {
    let values = Values {
        agent_name: f.agent_name,
        department_name: f.department_name,
        ticket_number: f.ticket_number,
        customer_name: f.customer_name,
    };
    pieces(template)
        .into_iter()
        .map(|piece| match piece {
            Piece::Literal(s) => Out::Text(s.to_string()),
            Piece::Placeholder { raw, name } => match name {
                "ticket.subject" => Out::Text(f.ticket_subject.to_string()),
                "ticket.link" if f.ticket_link.is_some() => {
                    Out::Link(f.ticket_link.unwrap_or_default().to_string())
                }
                "claim.link" if f.claim_link.is_some() => {
                    Out::Link(f.claim_link.unwrap_or_default().to_string())
                }
                "reply.body" if f.reply_body.is_some() => {
                    reply_block(f.reply_body.unwrap_or_default())
                }
                "rating.links" if f.stars.is_some() => {
                    stars_block(f.stars.unwrap_or_default(), locale)
                }
                // The signature placeholders; anything else stays as written.
                _ => Out::Text(placeholders::render(raw, &values)),
            },
        })
        .collect()
}

fn reply_block(body: &str) -> Out {
    let mut html = String::from("<div style=\"white-space: pre-wrap;\">");
    escape(body.trim_end(), &mut html);
    html.push_str("</div>\n");
    Out::Block {
        text: body.trim_end().to_string(),
        html,
    }
}

fn stars_block(stars: &[Star], locale: &Locale) -> Out {
    let mut text = Vec::new();
    let mut html = String::from("<p>");
    for s in stars {
        let label = locale.t(&format!("stars-label-{}", s.n));
        text.push(format!("{label}: {}", s.link));
        let (mut l, mut u) = (String::new(), String::new());
        escape(&label, &mut l);
        escape(&s.link, &mut u);
        html.push_str(&format!(
            "<a href=\"{u}\" title=\"{l}\" style=\"display: inline-block; margin: 0 0.4em 0.4em 0; \
             padding: 0.35em 0.7em; border: 1px solid #d5dae3; border-radius: 6px; color: #1c2230; \
             text-decoration: none;\"><span style=\"color: #9a6a00;\">{}</span> {l}</a>",
            "&#9733;".repeat(s.n.max(0) as usize)
        ));
    }
    html.push_str("</p>\n");
    Out::Block {
        text: text.join("\n"),
        html,
    }
}

pub(super) fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// Escaped inline HTML cut into paragraphs: blank lines part them, other
/// line ends become `<br>`.
fn paragraphs(flat: &str, html: &mut String) {
    let mut paragraph: Vec<&str> = Vec::new();
    // A trailing empty line closes the last paragraph.
    for line in flat.lines().chain(std::iter::once("")) {
        if line.trim().is_empty() {
            if !paragraph.is_empty() {
                html.push_str(&format!("<p>{}</p>\n", paragraph.join("<br>\n")));
                paragraph.clear();
            }
        } else {
            paragraph.push(line.trim_end());
        }
    }
}

/// The HTML of filled text; a block ends the paragraph before it.
fn html_of(filled: &[Out]) -> String {
    let mut html = String::new();
    let mut flat = String::new();
    for out in filled {
        match out {
            Out::Text(s) => escape(s, &mut flat),
            Out::Link(url) => {
                let mut u = String::new();
                escape(url, &mut u);
                flat.push_str(&format!("<a href=\"{u}\">{u}</a>"));
            }
            Out::Block { html: block, .. } => {
                paragraphs(&flat, &mut html);
                flat.clear();
                html.push_str(block);
            }
        }
    }
    paragraphs(&flat, &mut html);
    html
}

/// `text` with `f` filled in, as the plain and the HTML part.
pub fn render(text: &MailText, f: &Fill<'_>, locale: &Locale) -> Rendered {
    let plain = |template: &str| -> String {
        fill(template, f, locale)
            .into_iter()
            .map(|o| match o {
                Out::Text(s) | Out::Link(s) | Out::Block { text: s, .. } => s,
            })
            .collect()
    };
    let subject = plain(&text.subject)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let body_text = format!("{}\n", plain(&text.body).trim_end());
    let html_body = html_of(&fill(&text.body, f, locale));
    let mut title = String::new();
    escape(&subject, &mut title);
    // The look of Bilet's other mails (templates/email/verify.html).
    let html = format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; \
         font-size: 15px; line-height: 1.5; color: #1c2230;\">\n{html_body}</body></html>\n",
        locale.code()
    );
    Rendered {
        subject,
        text: body_text,
        html_body,
        html,
    }
}

/// The errors of `text` as a text of `kind`: empty or long parts, and
/// placeholders this mail does not have (with the list of those it has).
pub fn check(kind: MailKind, text: &MailText) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for (field, value, max) in [
        ("subject", &text.subject, SUBJECT_MAX),
        ("body", &text.body, BODY_MAX),
    ] {
        if value.trim().is_empty() {
            errors.add(field, "error-mail-text-required");
            continue;
        }
        if value.chars().count() > max {
            errors.add_n(field, "error-mail-text-too-long", max as i64);
            continue;
        }
        let allowed = if field == "subject" {
            kind.subject_placeholders()
        } else {
            kind.placeholders()
        };
        let unknown = pieces(value).into_iter().find_map(|p| match p {
            Piece::Placeholder { name, .. } if !allowed.contains(&name) => Some(name),
            _ => None,
        });
        if let Some(name) = unknown {
            errors.0.push(FieldError {
                field,
                key: "error-mail-text-placeholder",
                n: None,
                name: Some(format!("{{{{{name}}}}}")),
                terms: vec![(
                    "list",
                    if field == "subject" {
                        kind.subject_list_key()
                    } else {
                        kind.list_key()
                    },
                )],
            });
        }
    }
    if let Some(required) = kind.required()
        && errors.get("body").is_none()
        && !pieces(&text.body)
            .iter()
            .any(|p| matches!(p, Piece::Placeholder { name, .. } if *name == required))
    {
        errors.add_named(
            "body",
            required_key(kind),
            &format!("{{{{{required}}}}}"),
            None,
        );
    }
    errors
}

fn required_key(kind: MailKind) -> &'static str {
    match kind {
        MailKind::Reply => "error-mail-text-reply-required",
        _ => "error-mail-text-link-required",
    }
}

#[cfg(test)]
mod tests {
    use super::super::shipped;
    use super::*;

    fn ru() -> Locale {
        Locale::parse("ru").expect("ru")
    }

    #[test]
    fn both_parts_come_from_one_text_and_html_is_escaped() {
        let text = MailText::from_form(
            "Заявка {{ ticket.subject }}",
            "Здравствуйте, {{customer.name}}!\r\n\r\nСсылка:\r\n{{ticket.link}}\r\n\r\n{{agent.nmae}} <b>",
        );
        let r = render(
            &text,
            &Fill {
                customer_name: "Пётр & Co",
                department_name: "Техподдержка",
                ticket_number: "1042",
                ticket_subject: "Принтер\nне печатает",
                ticket_link: Some("https://help.test/l/x?a=1&b=2"),
                ..Fill::default()
            },
            &ru(),
        );
        assert_eq!(r.subject, "Заявка Принтер не печатает");
        assert_eq!(
            r.text,
            "Здравствуйте, Пётр & Co!\n\nСсылка:\nhttps://help.test/l/x?a=1&b=2\n\n{{agent.nmae}} <b>\n"
        );
        assert_eq!(
            r.html_body,
            "<p>Здравствуйте, Пётр &amp; Co!</p>\n\
             <p>Ссылка:<br>\n<a href=\"https://help.test/l/x?a=1&amp;b=2\">https://help.test/l/x?a=1&amp;b=2</a></p>\n\
             <p>{{agent.nmae}} &lt;b&gt;</p>\n"
        );
        assert!(r.html.starts_with("<!doctype html>\n<html lang=\"ru\">"));
    }

    #[test]
    fn shipped_texts_pass_their_own_check_in_every_language() {
        for code in crate::i18n::available() {
            let locale = Locale::parse(&code).expect("locale");
            for kind in MailKind::ALL {
                let text = shipped(kind, &locale);
                assert!(check(kind, &text).is_empty(), "{code} {kind:?}");
                assert!(
                    !text.body.contains("mail-"),
                    "{code} {kind:?}: a missing message"
                );
            }
        }
    }

    #[test]
    fn placeholders_of_another_mail_are_refused_with_the_list() {
        let errors = check(
            MailKind::Claim,
            &MailText::from_form("Hi", "{{ticket.number}} {{claim.link}}"),
        );
        let e = errors.get("body").expect("refused");
        assert_eq!(e.key, "error-mail-text-placeholder");
        assert_eq!(e.name.as_deref(), Some("{{ticket.number}}"));
        assert_eq!(e.terms, vec![("list", "mail-text-placeholders-claim")]);
        let errors = check(MailKind::Claim, &MailText::from_form("Hi", "no link"));
        assert_eq!(
            errors.get("body").map(|e| e.key),
            Some("error-mail-text-link-required")
        );
        let errors = check(MailKind::Acknowledgement, &MailText::from_form(" ", "x"));
        assert_eq!(
            errors.get("subject").map(|e| e.key),
            Some("error-mail-text-required")
        );
    }

    #[test]
    fn a_reply_keeps_its_lines_and_the_stars_are_links_in_both_parts() {
        let en = Locale::parse("en").expect("en");
        let stars: Vec<Star> = (1..=5)
            .map(|n| Star {
                n,
                link: format!("https://help.test/rate/t?stars={n}"),
            })
            .collect();
        let reply = "Restarted <it>.\n\n--\nAnna\nTECH";
        let fill = Fill {
            customer_name: "Olga",
            agent_name: "Anna",
            department_name: "TECH",
            ticket_number: "7",
            ticket_subject: "Down",
            ticket_link: Some("https://help.test/l/x"),
            reply_body: Some(reply),
            stars: Some(&stars),
            ..Fill::default()
        };
        let text = MailText::from_form(
            "{{ticket.subject}} ({{agent.name}})",
            "Dear {{customer.name}}, {{agent.name}} wrote:\n{{reply.body}}\nRate:\n{{rating.links}}\nBye",
        );
        let r = render(&text, &fill, &en);
        assert_eq!(r.subject, "Down (Anna)");
        assert!(
            r.text.starts_with(
                "Dear Olga, Anna wrote:\nRestarted <it>.\n\n--\nAnna\nTECH\nRate:\n1 — Poor: https://help.test/rate/t?stars=1\n"
            ),
            "{}",
            r.text
        );
        assert!(
            r.text
                .ends_with("5 — Excellent: https://help.test/rate/t?stars=5\nBye\n")
        );
        assert!(
            r.html_body.starts_with(
                "<p>Dear Olga, Anna wrote:</p>\n<div style=\"white-space: pre-wrap;\">Restarted &lt;it&gt;.\n\n--\nAnna\nTECH</div>\n<p>Rate:</p>\n<p><a href=\"https://help.test/rate/t?stars=1\""
            ),
            "{}",
            r.html_body
        );
        assert_eq!(
            r.html_body
                .matches("<a href=\"https://help.test/rate/t?stars=")
                .count(),
            5
        );
        assert!(r.html_body.ends_with("<p>Bye</p>\n"), "{}", r.html_body);
    }

    #[test]
    fn a_reply_text_needs_the_reply_and_subjects_take_no_links() {
        let errors = check(MailKind::Reply, &MailText::from_form("Re", "Hello"));
        let e = errors.get("body").expect("refused");
        assert_eq!(e.key, "error-mail-text-reply-required");
        assert_eq!(e.name.as_deref(), Some("{{reply.body}}"));
        let errors = check(
            MailKind::Resolved,
            &MailText::from_form("{{rating.links}}", "{{rating.links}}"),
        );
        let e = errors.get("subject").expect("refused");
        assert_eq!(e.terms, vec![("list", "mail-text-placeholders-subject")]);
        assert!(errors.get("body").is_none());
        let errors = check(
            MailKind::Resolved,
            &MailText::from_form("x", "{{reply.body}}"),
        );
        assert_eq!(
            errors.get("body").map(|e| e.terms.clone()),
            Some(vec![("list", "mail-text-placeholders-resolved")])
        );
    }
}
