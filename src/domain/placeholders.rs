//! Placeholders in signatures and canned responses:
//! `{{agent.name}}`, `{{department.name}}`, `{{ticket.number}}`,
//! `{{customer.name}}`. Saving a text with any other is refused
//! ([`first_unknown`]); one that is already stored stays as written when
//! rendered, never silently dropped.

/// The values placeholders stand for.
#[derive(Debug, Clone, Default)]
pub struct Values<'a> {
    pub agent_name: &'a str,
    pub department_name: &'a str,
    pub ticket_number: &'a str,
    pub customer_name: &'a str,
}

/// The placeholders there are, for help texts.
pub const KNOWN: [&str; 4] = [
    "{{agent.name}}",
    "{{department.name}}",
    "{{ticket.number}}",
    "{{customer.name}}",
];

/// `template` with every known placeholder replaced (spaces inside the
/// braces allowed: `{{ agent.name }}`).
pub fn render(template: &str, values: &Values<'_>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = after[..end].trim();
        let value = match name {
            "agent.name" => Some(values.agent_name),
            "department.name" => Some(values.department_name),
            "ticket.number" => Some(values.ticket_number),
            "customer.name" => Some(values.customer_name),
            _ => None,
        };
        match value {
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The first placeholder in `template` that is not one of [`KNOWN`], as
/// written: saving it would send `{{custmer.name}}` to customers.
pub fn first_unknown(template: &str) -> Option<String> {
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}")?;
        let name = after[..end].trim();
        if !KNOWN.iter().any(|k| k[2..k.len() - 2] == *name) {
            return Some(format!("{{{{{name}}}}}"));
        }
        rest = &after[end + 2..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        let v = Values {
            agent_name: "Анна",
            department_name: "Техподдержка",
            ticket_number: "1042",
            customer_name: "Пётр",
        };
        assert_eq!(
            render(
                "-- \n{{agent.name}}, {{ department.name }} (#{{ticket.number}}) for {{customer.name}}",
                &v
            ),
            "-- \nАнна, Техподдержка (#1042) for Пётр"
        );
        assert_eq!(
            render("{{agent.nmae}} and {{unclosed", &v),
            "{{agent.nmae}} and {{unclosed"
        );
    }

    #[test]
    fn unknown_placeholders_are_found() {
        assert_eq!(
            first_unknown("Hi {{ customer.name }}, {{agent.name}}"),
            None
        );
        assert_eq!(
            first_unknown("Hi {{unknown.placeholder}} and {{x}}").as_deref(),
            Some("{{unknown.placeholder}}")
        );
        assert_eq!(first_unknown("no braces"), None);
    }
}
