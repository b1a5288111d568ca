//! Which department a new mail goes to. Pure.
//!
//! 1. admin rules (sender domain, subject contains), in their order;
//! 2. the first department address in To, then in Cc;
//! 3. the envelope recipient (Delivered-To / X-Original-To / the address
//!    the mail was fetched for);
//! 4. the mailbox's default department.
//!
//! A valid thread match is decided before routing and beats it.

use super::parse::Mailbox;
use crate::domain::ids::DepartmentId;

/// An admin's routing rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    SenderDomain(String, DepartmentId),
    SubjectContains(String, DepartmentId),
}

/// What routing looks at.
pub struct Input<'a> {
    pub to: &'a [Mailbox],
    pub cc: &'a [Mailbox],
    pub envelope: &'a [String],
    pub sender: &'a str,
    pub subject: &'a str,
}

/// The department and why, or None when nothing matched and there is no default.
pub fn route(
    input: &Input<'_>,
    department_of: impl Fn(&str) -> Option<DepartmentId>,
    rules: &[Rule],
    default: Option<DepartmentId>,
) -> Option<(DepartmentId, &'static str)> {
    let domain = input.sender.rsplit_once('@').map_or("", |(_, d)| d);
    let subject = input.subject.to_lowercase();
    for rule in rules {
        match rule {
            Rule::SenderDomain(d, dept)
                if domain.eq_ignore_ascii_case(d.trim_start_matches('@')) =>
            {
                return Some((*dept, "routed by sender domain rule"));
            }
            Rule::SubjectContains(s, dept)
                if !s.is_empty() && subject.contains(&s.to_lowercase()) =>
            {
                return Some((*dept, "routed by subject rule"));
            }
            _ => {}
        }
    }
    if let Some(d) = input.to.iter().find_map(|m| department_of(&m.address)) {
        return Some((d, "routed by To"));
    }
    if let Some(d) = input.cc.iter().find_map(|m| department_of(&m.address)) {
        return Some((d, "routed by Cc"));
    }
    if let Some(d) = input.envelope.iter().find_map(|a| department_of(a)) {
        return Some((d, "routed by envelope recipient"));
    }
    default.map(|d| (d, "routed to the mailbox's default department"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(a: &str) -> Mailbox {
        Mailbox {
            address: a.into(),
            name: None,
        }
    }

    #[test]
    fn to_then_cc_then_envelope_then_default() {
        let tech = DepartmentId::new();
        let billing = DepartmentId::new();
        let default = DepartmentId::new();
        let dept = |a: &str| match a {
            "tech@help.test" => Some(tech),
            "billing@help.test" => Some(billing),
            _ => None,
        };
        let to = [
            mb("someone@else.test"),
            mb("billing@help.test"),
            mb("tech@help.test"),
        ];
        let cc = [mb("tech@help.test")];
        let input =
            |to: &'static [Mailbox], cc: &'static [Mailbox], env: &'static [String]| Input {
                to,
                cc,
                envelope: env,
                sender: "a@x.test",
                subject: "Hi",
            };
        let to: &'static [Mailbox] = Box::leak(Box::new(to));
        let cc: &'static [Mailbox] = Box::leak(Box::new(cc));
        assert_eq!(
            route(&input(to, cc, &[]), dept, &[], Some(default)),
            Some((billing, "routed by To"))
        );
        assert_eq!(
            route(&input(&[], cc, &[]), dept, &[], Some(default)),
            Some((tech, "routed by Cc"))
        );
        let env: &'static [String] = Box::leak(Box::new(["tech@help.test".to_string()]));
        assert_eq!(
            route(&input(&[], &[], env), dept, &[], Some(default)).map(|r| r.0),
            Some(tech)
        );
        assert_eq!(
            route(&input(&[], &[], &[]), dept, &[], Some(default)).map(|r| r.0),
            Some(default)
        );
        assert_eq!(route(&input(&[], &[], &[]), dept, &[], None), None);
    }

    #[test]
    fn rules_come_first() {
        let tech = DepartmentId::new();
        let billing = DepartmentId::new();
        let rules = [
            Rule::SenderDomain("bank.example".into(), billing),
            Rule::SubjectContains("счёт".into(), billing),
        ];
        let to = [mb("tech@help.test")];
        let dept = |a: &str| (a == "tech@help.test").then_some(tech);
        let i = Input {
            to: &to,
            cc: &[],
            envelope: &[],
            sender: "robot@bank.example",
            subject: "x",
        };
        assert_eq!(route(&i, dept, &rules, None).map(|r| r.0), Some(billing));
        let i = Input {
            to: &to,
            cc: &[],
            envelope: &[],
            sender: "a@x.test",
            subject: "Неоплаченный СЧЁТ",
        };
        assert_eq!(route(&i, dept, &rules, None).map(|r| r.0), Some(billing));
        let i = Input {
            to: &to,
            cc: &[],
            envelope: &[],
            sender: "a@x.test",
            subject: "x",
        };
        assert_eq!(route(&i, dept, &rules, None).map(|r| r.0), Some(tech));
    }
}
