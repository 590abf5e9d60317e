//! HTML from text: escaping, the little Markdown the bot's texts use, and a Discord
//! message laid out as the Discord client shows it.
//!
//! Every text that reaches a page comes from the rules, the Fluent files or the card, all
//! edited by people, so all of it is escaped first; markup is added only afterwards, for
//! the two things Discord itself renders in the bot's messages: `**bold**` and `<t:UNIX:F>`
//! timestamps (shown as a `<time>` that the page's script puts in the reader's time zone,
//! as Discord does).

use std::fmt::Write as _;

use crate::card::rfc3339;
use crate::discord::spec::{Embed, MessageSpec};

pub use crate::graph::escape;

/// A Discord timestamp `<t:UNIX>` or `<t:UNIX:STYLE>` at the start of `s` (unescaped
/// form): its seconds and its length in bytes.
fn timestamp_at(s: &str) -> Option<(i64, usize)> {
    let rest = s.strip_prefix("<t:")?;
    let end = rest.find('>')?;
    let inner = &rest[..end];
    let (digits, style) = match inner.split_once(':') {
        Some((d, st)) => (d, Some(st)),
        None => (inner, None),
    };
    if let Some(st) = style {
        if !matches!(st, "t" | "T" | "d" | "D" | "f" | "F" | "R") {
            return None;
        }
    }
    let unix: i64 = digits.parse().ok()?;
    Some((unix, 3 + end + 1))
}

/// `text` as HTML, the way Discord renders the bot's text: escaped, line breaks kept (by
/// the page's CSS), `**bold**` as `<strong>`, and timestamps as `<time>`.
pub fn discord_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut bold = false;
    let mut plain = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("**") && (bold || rest[2..].contains("**")) {
            out.push_str(&escape(&std::mem::take(&mut plain)));
            out.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
            rest = &rest[2..];
        } else if let Some((unix, len)) = timestamp_at(rest) {
            out.push_str(&escape(&std::mem::take(&mut plain)));
            let when = rfc3339(unix);
            let _ = write!(
                out,
                "<time datetime=\"{when}\" data-discord-time>{}</time>",
                escape(&when.replace('T', " ").replace('Z', " UTC"))
            );
            rest = &rest[len..];
        } else {
            plain.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out.push_str(&escape(&plain));
    if bold {
        out.push_str("</strong>");
    }
    out
}

fn embed(out: &mut String, e: &Embed) {
    let colour = e
        .colour
        .map(|c| format!(" style=\"border-left-color: #{c:06x}\""))
        .unwrap_or_default();
    let _ = write!(out, "<section class=\"embed\"{colour}>");
    if let Some(t) = &e.title {
        let _ = write!(out, "<h3 class=\"embed-title\">{}</h3>", discord_text(t));
    }
    if let Some(d) = &e.description {
        let _ = write!(
            out,
            "<div class=\"embed-description\">{}</div>",
            discord_text(d)
        );
    }
    if !e.fields.is_empty() {
        out.push_str("<dl class=\"embed-fields\">");
        for f in &e.fields {
            let _ = write!(
                out,
                "<dt>{}</dt><dd>{}</dd>",
                discord_text(&f.name),
                discord_text(&f.value)
            );
        }
        out.push_str("</dl>");
    }
    if let Some(f) = &e.footer {
        // Discord shows footers as plain text, without Markdown.
        let _ = write!(out, "<footer class=\"embed-footer\">{}</footer>", escape(f));
    }
    out.push_str("</section>");
}

/// A message as the Discord client shows it: its content, then its embeds.
pub fn message(spec: &MessageSpec) -> String {
    let mut out = String::from("<div class=\"discord-message\">");
    if let Some(c) = &spec.content {
        let _ = write!(
            out,
            "<div class=\"message-content\">{}</div>",
            discord_text(c)
        );
    }
    for e in &spec.embeds {
        embed(&mut out, e);
    }
    out.push_str("</div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_is_escaped_before_markup_is_added() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            discord_text("**A** <script>alert(1)</script> **"),
            "<strong>A</strong> &lt;script&gt;alert(1)&lt;/script&gt; **"
        );
    }

    #[test]
    fn timestamps_become_time_elements_and_others_stay_text() {
        assert_eq!(
            discord_text("Generated <t:1795219200:F>."),
            "Generated <time datetime=\"2026-11-21T00:00:00Z\" data-discord-time>2026-11-21 00:00:00 UTC</time>."
        );
        assert_eq!(
            discord_text("<t:x:F> <t:1:Q>"),
            "&lt;t:x:F&gt; &lt;t:1:Q&gt;"
        );
    }
}
