//! Review-by: the rules name a date (`meta.review_by`) by which the people who keep the
//! knowledge look at its sources again. Past it, `rules check` warns, the bot's log warns
//! once a day, and the moderators' commands open with one sentence saying so.
//!
//! Pure: dates in, a date or a sentence out.

use jiff::civil::Date;

use crate::domain::i18n::{LocaleId, Localizer};
use crate::domain::rules::Rules;

/// The review-by date of `rules` if it has passed on the UTC day of unix second `now`
/// (the day after it is the first day it is due).
pub fn due_since(rules: &Rules, now: i64) -> Option<Date> {
    let review_by: Date = rules.meta.review_by.parse().ok()?;
    (today(now) > review_by).then_some(review_by)
}

/// The UTC day of unix second `now`.
pub fn today(now: i64) -> Date {
    jiff::Timestamp::from_second(now)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// The one sentence the moderators' commands open with when the knowledge is due for
/// review, in `locale`; `None` while it is not.
pub fn sentence(rules: &Rules, l10n: &Localizer, locale: LocaleId, now: i64) -> Option<String> {
    let date = due_since(rules, now)?;
    let date = crate::domain::card::date_text(l10n, locale, date);
    Some(l10n.format(locale, "review-due", &[("date", date)]))
}

/// The operator's warning when the knowledge is due for review: where the date is set
/// (`file:line` of `review_by` in the rules file) and what to do.
pub fn warning(rules: &Rules, now: i64) -> Option<String> {
    let date = due_since(rules, now)?;
    let days = (today(now) - date).get_days();
    let path = rules.path();
    let line = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| {
            text.lines()
                .position(|l| l.trim_start().starts_with("review_by"))
                .map(|i| i + 1)
        })
        .unwrap_or(1);
    Some(format!(
        "{}:{line}: warning: the knowledge was due for review by {date} ({days} day(s) \
         ago): check the sources (their dates, the desk's answers, Windows' support dates), \
         then set a new review_by and bump the version",
        path.display()
    ))
}

/// Says [`warning`] in the log at most once per UTC day: call it as often as you like.
#[derive(Debug, Default)]
pub struct DailyWarning {
    last: std::sync::Mutex<Option<Date>>,
}

impl DailyWarning {
    /// Logs the warning if the knowledge is due and it was not logged today; returns
    /// whether it logged.
    pub fn tick(&self, rules: &Rules, now: i64) -> bool {
        let Some(text) = warning(rules, now) else {
            return false;
        };
        let day = today(now);
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if *last == Some(day) {
            return false;
        }
        *last = Some(day);
        tracing::warn!("{text}");
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Rules {
        crate::domain::rules::load(std::path::Path::new("rules/activation-check.toml")).unwrap()
    }

    fn at(day: &str) -> i64 {
        let d: Date = day.parse().unwrap();
        d.to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_second()
            + 3600
    }

    #[test]
    fn due_from_the_day_after_review_by_and_warned_once_a_day() {
        let rules = shipped();
        let by = rules.meta.review_by.clone();
        let by_date: Date = by.parse().unwrap();
        assert_eq!(
            due_since(&rules, at(&by)),
            None,
            "due after the day, not on it"
        );
        let next = by_date.tomorrow().unwrap().to_string();
        assert_eq!(due_since(&rules, at(&next)), Some(by_date));
        let w = warning(&rules, at(&next)).unwrap();
        assert!(w.contains("activation-check.toml:"), "{w}");
        assert!(w.contains(&format!("review by {by} (1 day(s) ago)")), "{w}");

        let daily = DailyWarning::default();
        assert!(!daily.tick(&rules, at(&by)));
        assert!(daily.tick(&rules, at(&next)));
        assert!(!daily.tick(&rules, at(&next) + 3600), "once that day");
        let after = by_date.tomorrow().unwrap().tomorrow().unwrap().to_string();
        assert!(daily.tick(&rules, at(&after)), "and again the next day");
    }
}
