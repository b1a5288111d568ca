//! Business-hours calendars: when the service-level clock runs.
//!
//! A calendar is a time zone, working hours per weekday and holidays. The
//! hours are wall-clock hours in the calendar's zone, so a day across a DST
//! change keeps them (9–17 stays 9–17 although the night was an hour shorter,
//! and a wall hour inside the change may last 0 or 2 absolute hours);
//! [`Calendar::always`] is 24/7 in UTC and so counts plain absolute time.
//!
//! Due times are always the *earliest* instant by which the working time has
//! elapsed: 2h at 16:00 is due 18:00 the same day, not 09:00 the next one.
//! Warnings ([`Calendar::sub`]) are the mirror image: the *latest* instant.

use std::collections::BTreeSet;
use std::iter::successors;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// How many days any walk looks at (~3 years). `new` refuses calendars
/// without working hours, so only absurdly sparse calendars reach it; they
/// get the last instant computed rather than a hung request.
const MAX_DAYS: usize = 1100;

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Working hours in a zone, minus holidays.
#[derive(Debug, Clone)]
pub struct Calendar {
    zone: TimeZone,
    /// Per weekday, Monday first: sorted, disjoint ranges. An end of 00:00
    /// stands for 24:00 (the next midnight): jiff's `Time` stops before it,
    /// and a range can never otherwise end at 00:00.
    week: [Vec<(Time, Time)>; 7],
    holidays: BTreeSet<Date>,
}

/// A business duration: `30m`, `4h`, `2d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// Working minutes.
    Minutes(u32),
    /// Working hours (60 working minutes each).
    Hours(u32),
    /// Working days: see [`Calendar::add`].
    Days(u32),
}

/// Why a calendar is refused; `field()` names the form field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone {0:?}")]
    UnknownZone(String),
    #[error("cannot read the working hours {0:?} (e.g. \"mon-fri 09:00-18:00; sat 10:00-14:00\")")]
    Hours(String),
    #[error("the range {0:?} does not end after it starts")]
    EmptyRange(String),
    #[error("working hours overlap on {0}")]
    Overlap(&'static str),
    #[error("the calendar has no working hours")]
    NoWorkingHours,
    #[error("the holiday {0} is listed twice")]
    DuplicateHoliday(Date),
}

impl CalendarError {
    pub fn field(&self) -> &'static str {
        match self {
            CalendarError::UnknownZone(_) => "zone",
            CalendarError::DuplicateHoliday(_) => "holidays",
            _ => "hours",
        }
    }
}

/// Why a target is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("no target given")]
    Empty,
    #[error("cannot read the target {0:?} (e.g. 30m, 4h, 2d)")]
    Unparsable(String),
    #[error("a target of zero is always breached")]
    Zero,
    #[error("the target {0:?} is too long (at most 365d, 10000h, 100000m)")]
    TooLarge(String),
}

/// `30m`, `4h`, `2d`: digits then one lowercase unit, surrounding spaces
/// ignored. Zero and more than a year are refused.
pub fn parse_target(s: &str) -> Result<Target, TargetError> {
    let s = s.trim();
    let Some((at, _)) = s.char_indices().last() else {
        return Err(TargetError::Empty);
    };
    let (digits, unit) = s.split_at(at);
    let unparsable = || TargetError::Unparsable(s.to_owned());
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(unparsable());
    }
    // Only digits: a failed parse can only be an overflow.
    let n: u32 = digits
        .parse()
        .map_err(|_| TargetError::TooLarge(s.to_owned()))?;
    let (target, max) = match unit {
        "m" => (Target::Minutes(n), 100_000),
        "h" => (Target::Hours(n), 10_000),
        "d" => (Target::Days(n), 365),
        _ => return Err(unparsable()),
    };
    match n {
        0 => Err(TargetError::Zero),
        n if n > max => Err(TargetError::TooLarge(s.to_owned())),
        _ => Ok(target),
    }
}

impl std::str::FromStr for Target {
    type Err = TargetError;
    fn from_str(s: &str) -> Result<Self, TargetError> {
        parse_target(s)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Minutes(n) => write!(f, "{n}m"),
            Target::Hours(n) => write!(f, "{n}h"),
            Target::Days(n) => write!(f, "{n}d"),
        }
    }
}

/// Minutes since midnight from `H:MM`/`HH:MM`, 24:00 included.
fn minutes(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    let digits =
        |s: &str, len| s.len() <= len && !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h, 2) || !digits(m, 2) || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

/// `mon`, `mon-fri`, `sat,sun`, wrapping ranges such as `sun-thu` included.
fn days(s: &str) -> Option<[bool; 7]> {
    let day = |name: &str| DAY_NAMES.iter().position(|d| d.eq_ignore_ascii_case(name));
    let mut set = [false; 7];
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    for item in s.split(',') {
        let (from, to) = match item.split_once('-') {
            Some((from, to)) => (day(from)?, day(to)?),
            None => (day(item)?, day(item)?),
        };
        let mut d = from;
        set[d] = true;
        while d != to {
            d = (d + 1) % 7;
            set[d] = true;
        }
    }
    Some(set)
}

/// Groups `DAYS RANGES` separated by `;` (commas already separate days).
fn parse_hours(hours: &str) -> Result<[Vec<(u16, u16)>; 7], CalendarError> {
    let mut week: [Vec<(u16, u16)>; 7] = Default::default();
    for group in hours.split(';').map(str::trim).filter(|g| !g.is_empty()) {
        let bad = || CalendarError::Hours(group.to_owned());
        // The day part ends where the first time begins.
        let split = group.find(|c: char| c.is_ascii_digit()).ok_or_else(bad)?;
        let (day_part, ranges) = group.split_at(split);
        let set = days(day_part).ok_or_else(bad)?;
        for range in ranges.split(|c: char| c == ',' || c.is_whitespace()) {
            if range.is_empty() {
                continue;
            }
            let (from, to) = range.split_once('-').ok_or_else(bad)?;
            let (from, to) = (minutes(from).ok_or_else(bad)?, minutes(to).ok_or_else(bad)?);
            if to <= from {
                return Err(CalendarError::EmptyRange(range.to_owned()));
            }
            for (day, _) in set.iter().enumerate().filter(|(_, on)| **on) {
                week[day].push((from, to));
            }
        }
    }
    for (day, ranges) in week.iter_mut().enumerate() {
        ranges.sort_unstable();
        if ranges.windows(2).any(|w| w[1].0 < w[0].1) {
            return Err(CalendarError::Overlap(DAY_NAMES[day]));
        }
    }
    if week.iter().all(Vec::is_empty) {
        return Err(CalendarError::NoWorkingHours);
    }
    Ok(week)
}

fn clock(minutes: u16) -> Time {
    let minutes = minutes % (24 * 60); // 24:00 becomes the 00:00 sentinel
    jiff::civil::time((minutes / 60) as i8, (minutes % 60) as i8, 0, 0)
}

impl Calendar {
    /// 24/7 in UTC: every instant is working time, a day is 24 hours.
    pub fn always() -> Calendar {
        let all_day = vec![(Time::midnight(), Time::midnight())];
        Calendar {
            zone: TimeZone::UTC,
            week: std::array::from_fn(|_| all_day.clone()),
            holidays: BTreeSet::new(),
        }
    }

    /// A zone name (`Europe/Moscow`), hours such as `mon-fri 09:00-18:00`,
    /// and holidays, each date once.
    pub fn new(zone_name: &str, hours: &str, holidays: &[Date]) -> Result<Calendar, CalendarError> {
        let zone = TimeZone::get(zone_name.trim())
            .map_err(|_| CalendarError::UnknownZone(zone_name.to_owned()))?;
        let week = parse_hours(hours)?;
        let mut set = BTreeSet::new();
        for &day in holidays {
            if !set.insert(day) {
                return Err(CalendarError::DuplicateHoliday(day));
            }
        }
        let week = week.map(|ranges| {
            ranges
                .into_iter()
                .map(|(a, b)| (clock(a), clock(b)))
                .collect()
        });
        Ok(Calendar {
            zone,
            week,
            holidays: set,
        })
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    pub fn is_working(&self, at: Timestamp) -> bool {
        self.forward(at)
            .next()
            .is_some_and(|(start, _)| start == at)
    }

    /// The due time of `target` counted from `start` (or from the next
    /// working moment when `start` is outside hours).
    ///
    /// Minutes and hours consume working time. `Days(n)`: the same
    /// wall-clock time on the nth working day after that moment's day, moved
    /// back to the end of the preceding working hours when it is not working
    /// time there (a shorter Friday ends the day at its closing). Since due
    /// times are the earliest instant with that working time, a start at the
    /// opening gives the closing: Saturday + 1d is Monday 18:00, not Tuesday
    /// 09:00. On [`Calendar::always`] `Days(n)` is n × 24 h.
    pub fn add(&self, start: Timestamp, target: Target) -> Timestamp {
        self.shift(start, target, true)
    }

    /// The mirror of [`Calendar::add`]: the latest instant that leaves
    /// `target` working time before `end` (used for warnings).
    pub fn sub(&self, end: Timestamp, target: Target) -> Timestamp {
        self.shift(end, target, false)
    }

    /// Working time in `[from, to)`; zero when `to <= from`.
    pub fn working_between(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to <= from {
            return SignedDuration::ZERO;
        }
        self.forward(from)
            .take_while(|&(start, _)| start < to)
            .map(|(start, end)| end.min(to).duration_since(start))
            .sum()
    }

    /// `due` moved later by the working time of a pause: the clock stopped
    /// at `paused_from` and ran again from `paused_to`.
    pub fn extend(
        &self,
        due: Timestamp,
        paused_from: Timestamp,
        paused_to: Timestamp,
    ) -> Timestamp {
        self.walk(due, self.working_between(paused_from, paused_to), true)
    }

    /// `add` when `later`, `sub` otherwise.
    fn shift(&self, at: Timestamp, target: Target, later: bool) -> Timestamp {
        let n = match target {
            Target::Minutes(n) => return self.walk(at, SignedDuration::from_mins(n.into()), later),
            Target::Hours(n) => return self.walk(at, SignedDuration::from_hours(n.into()), later),
            Target::Days(n) => n,
        };
        // Count from a working moment: the next one going forward, the
        // previous one going back.
        let anchor = match later {
            true => self.forward(at).next().map(|(start, _)| start),
            false => self.backward(at).next().map(|(_, end)| end),
        };
        let Some(anchor) = anchor else { return at };
        let local = self.zone.to_datetime(anchor);
        let step = |d: &Date| match later {
            true => d.tomorrow().ok(),
            false => d.yesterday().ok(),
        };
        let working = successors(step(&local.date()), step)
            .take(MAX_DAYS)
            .filter(|&d| !self.day(d).is_empty());
        let wall = working
            .take(n as usize)
            .last()
            .and_then(|d| self.instant(d, local.time()));
        // Walking the working time to the wall-clock instant normalises it:
        // off hours or at an opening, the preceding closing (and mirrored).
        match wall {
            Some(wall) if later => self.walk(anchor, self.working_between(anchor, wall), true),
            Some(wall) => self.walk(anchor, self.working_between(wall, anchor), false),
            None => anchor,
        }
    }

    /// The instant `amount` working time after `from` (before it unless
    /// `later`); stops at the last interval within `MAX_DAYS`.
    fn walk(&self, from: Timestamp, amount: SignedDuration, later: bool) -> Timestamp {
        if amount <= SignedDuration::ZERO {
            return from;
        }
        let intervals: Box<dyn Iterator<Item = (Timestamp, Timestamp)>> = match later {
            true => Box::new(self.forward(from)),
            false => Box::new(self.backward(from)),
        };
        let (mut left, mut last) = (amount, from);
        for (start, end) in intervals {
            let here = end.duration_since(start);
            match (left <= here, later) {
                (true, true) => return start + left,
                (true, false) => return end - left,
                (false, _) => left -= here,
            }
            last = if later { end } else { start };
        }
        last
    }

    fn instant(&self, date: Date, time: Time) -> Option<Timestamp> {
        // Compatible disambiguation: a time in a gap moves forward, a
        // repeated one takes its first occurrence.
        self.zone
            .to_ambiguous_timestamp(date.to_datetime(time))
            .compatible()
            .ok()
    }

    /// The working intervals of one local date as instants.
    fn day(&self, date: Date) -> Vec<(Timestamp, Timestamp)> {
        if self.holidays.contains(&date) {
            return Vec::new();
        }
        let ranges = &self.week[date.weekday().to_monday_zero_offset() as usize];
        let ranges = ranges.iter().filter_map(|&(from, to)| {
            let start = self.instant(date, from)?;
            let end = match to == Time::midnight() {
                true => self.instant(date.tomorrow().ok()?, to)?,
                false => self.instant(date, to)?,
            };
            (start < end).then_some((start, end))
        });
        ranges.collect()
    }

    /// Working intervals from `from` on, the first one clipped to it.
    fn forward(&self, from: Timestamp) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let today = self.zone.to_datetime(from).date();
        // Yesterday too: its hours may run to midnight.
        successors(Some(today.yesterday().unwrap_or(today)), |d| {
            d.tomorrow().ok()
        })
        .take(MAX_DAYS)
        .flat_map(|d| self.day(d))
        .filter(move |&(_, end)| end > from)
        .map(move |(start, end)| (start.max(from), end))
    }

    /// Working intervals before `to`, latest first, the first clipped to it.
    fn backward(&self, to: Timestamp) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let today = self.zone.to_datetime(to).date();
        successors(Some(today.tomorrow().unwrap_or(today)), |d| {
            d.yesterday().ok()
        })
        .take(MAX_DAYS)
        .flat_map(|d| self.day(d).into_iter().rev())
        .filter(move |&(start, _)| start < to)
        .map(move |(start, end)| (start, end.min(to)))
    }
}

/// A jiff instant as the store's `time` instant (exact to the nanosecond).
pub fn to_time(ts: Timestamp) -> time::OffsetDateTime {
    // jiff's range lies inside time's, so this never saturates in practice.
    time::OffsetDateTime::from_unix_timestamp_nanos(ts.as_nanosecond()).unwrap_or(
        match ts < Timestamp::UNIX_EPOCH {
            true => time::PrimitiveDateTime::MIN.assume_utc(),
            false => time::PrimitiveDateTime::MAX.assume_utc(),
        },
    )
}

/// The store's instant as a jiff one, saturating at jiff's narrower range.
pub fn from_time(t: time::OffsetDateTime) -> Timestamp {
    Timestamp::from_nanosecond(t.unix_timestamp_nanos()).unwrap_or(match t.unix_timestamp() < 0 {
        true => Timestamp::MIN,
        false => Timestamp::MAX,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zoned(s: &str) -> Timestamp {
        s.parse::<jiff::Zoned>().expect("zoned").timestamp()
    }

    /// Moscow wall time (UTC+3, no DST): "2026-12-04T16:00".
    fn msk(s: &str) -> Timestamp {
        zoned(&format!("{s}:00+03:00[Europe/Moscow]"))
    }

    fn moscow(hours: &str) -> Calendar {
        Calendar::new("Europe/Moscow", hours, &[]).expect("calendar")
    }

    fn office() -> Calendar {
        moscow("mon-fri 09:00-18:00")
    }

    fn date(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn hours(n: i64) -> SignedDuration {
        SignedDuration::from_hours(n)
    }

    // 2026-12-01 is a Tuesday: Fri 12-04, Sat 12-05, Mon 12-07.

    #[test]
    fn always_counts_minutes_hours_and_days_as_absolute_time() {
        let cal = Calendar::always();
        let start = zoned("2026-12-01T09:30:00+03:00[Europe/Moscow]");
        assert_eq!(cal.add(start, Target::Minutes(30)), msk("2026-12-01T10:00"));
        assert_eq!(cal.add(start, Target::Hours(4)), msk("2026-12-01T13:30"));
        assert_eq!(cal.add(start, Target::Days(2)), msk("2026-12-03T09:30"));
        assert_eq!(cal.add(start, Target::Days(365)), start + hours(365 * 24));
        assert!(cal.is_working(msk("2026-12-05T03:17")));
        assert_eq!(cal.sub(start, Target::Days(1)), start - hours(24));
        assert_eq!(cal.working_between(start, start + hours(50)), hours(50));
    }

    #[test]
    fn is_working_follows_the_hours() {
        let cal = office();
        assert!(cal.is_working(msk("2026-12-01T09:00")));
        assert!(cal.is_working(msk("2026-12-01T17:59")));
        assert!(!cal.is_working(msk("2026-12-01T18:00")));
        assert!(!cal.is_working(msk("2026-12-01T08:59")));
        assert!(!cal.is_working(msk("2026-12-05T12:00")));
    }

    #[test]
    fn four_hours_on_friday_afternoon_are_due_monday() {
        let due = office().add(msk("2026-12-04T16:00"), Target::Hours(4));
        assert_eq!(due, msk("2026-12-07T11:00"));
    }

    #[test]
    fn thirty_minutes_at_closing_are_due_next_morning() {
        let due = office().add(msk("2026-12-01T17:45"), Target::Minutes(30));
        assert_eq!(due, msk("2026-12-02T09:15"));
    }

    #[test]
    fn an_exact_fit_is_due_at_closing_not_next_opening() {
        let due = office().add(msk("2026-12-01T16:00"), Target::Hours(2));
        assert_eq!(due, msk("2026-12-01T18:00"));
    }

    #[test]
    fn a_weekend_arrival_counts_from_monday_opening() {
        let cal = office();
        assert_eq!(
            cal.add(msk("2026-12-05T12:00"), Target::Hours(1)),
            msk("2026-12-07T10:00")
        );
        assert_eq!(
            cal.add(msk("2026-12-04T20:00"), Target::Minutes(90)),
            msk("2026-12-07T10:30")
        );
    }

    #[test]
    fn a_monday_holiday_moves_the_due_time_to_tuesday() {
        let cal = Calendar::new(
            "Europe/Moscow",
            "mon-fri 09:00-18:00",
            &[date("2026-12-07")],
        )
        .expect("calendar");
        assert_eq!(
            cal.add(msk("2026-12-04T16:00"), Target::Hours(4)),
            msk("2026-12-08T11:00")
        );
        assert!(!cal.is_working(msk("2026-12-07T12:00")));
    }

    #[test]
    fn a_lunch_break_is_skipped() {
        let cal = moscow("mon-fri 09:00-13:00 14:00-18:00");
        assert_eq!(
            cal.add(msk("2026-12-01T12:30"), Target::Hours(1)),
            msk("2026-12-01T14:30")
        );
        assert_eq!(
            cal.add(msk("2026-12-01T11:00"), Target::Hours(4)),
            msk("2026-12-01T16:00")
        );
        assert_eq!(
            cal.add(msk("2026-12-01T11:00"), Target::Hours(2)),
            msk("2026-12-01T13:00")
        );
        assert!(!cal.is_working(msk("2026-12-01T13:30")));
        assert!(cal.is_working(msk("2026-12-01T14:00")));
        let day = cal.working_between(msk("2026-12-01T00:00"), msk("2026-12-02T00:00"));
        assert_eq!(day, hours(8));
    }

    #[test]
    fn days_keep_the_wall_clock_time() {
        let cal = office();
        let tuesday = msk("2026-12-01T11:00");
        assert_eq!(cal.add(tuesday, Target::Days(1)), msk("2026-12-02T11:00"));
        assert_eq!(cal.add(tuesday, Target::Days(2)), msk("2026-12-03T11:00"));
        assert_eq!(
            cal.add(msk("2026-12-04T11:00"), Target::Days(1)),
            msk("2026-12-07T11:00")
        );
        assert_eq!(cal.add(tuesday, Target::Days(5)), msk("2026-12-08T11:00"));
    }

    #[test]
    fn days_from_outside_hours_end_at_a_closing() {
        let cal = office();
        // Counted from Monday 09:00; the earliest instant with one working
        // day elapsed is Monday's closing.
        assert_eq!(
            cal.add(msk("2026-12-05T12:00"), Target::Days(1)),
            msk("2026-12-07T18:00")
        );
        assert_eq!(
            cal.add(msk("2026-12-05T12:00"), Target::Days(2)),
            msk("2026-12-08T18:00")
        );
        assert_eq!(
            cal.add(msk("2026-12-07T20:00"), Target::Days(1)),
            msk("2026-12-08T18:00")
        );
        assert_eq!(
            cal.add(msk("2026-12-01T09:00"), Target::Days(1)),
            msk("2026-12-01T18:00")
        );
    }

    #[test]
    fn days_on_a_shorter_friday_end_at_its_closing() {
        let cal = moscow("mon-thu 09:00-18:00; fri 09:00-16:00");
        assert_eq!(
            cal.add(msk("2026-12-03T17:00"), Target::Days(1)),
            msk("2026-12-04T16:00")
        );
        assert_eq!(
            cal.add(msk("2026-12-02T17:00"), Target::Days(2)),
            msk("2026-12-04T16:00")
        );
        assert_eq!(
            cal.add(msk("2026-12-03T10:00"), Target::Days(1)),
            msk("2026-12-04T10:00")
        );
        assert_eq!(
            cal.add(msk("2026-12-04T15:00"), Target::Days(1)),
            msk("2026-12-07T15:00")
        );
    }

    #[test]
    fn days_before_a_later_opening_end_at_the_previous_closing() {
        let cal = moscow("mon-fri 09:00-18:00; sat 12:00-14:00");
        assert_eq!(
            cal.add(msk("2026-12-04T10:00"), Target::Days(1)),
            msk("2026-12-04T18:00")
        );
        assert_eq!(
            cal.add(msk("2026-12-04T13:00"), Target::Days(1)),
            msk("2026-12-05T13:00")
        );
    }

    #[test]
    fn days_skip_holidays() {
        let cal = Calendar::new(
            "Europe/Moscow",
            "mon-fri 09:00-18:00",
            &[date("2026-12-02")],
        )
        .expect("calendar");
        assert_eq!(
            cal.add(msk("2026-12-01T11:00"), Target::Days(1)),
            msk("2026-12-03T11:00")
        );
    }

    #[test]
    fn spring_change_keeps_eight_wall_hours() {
        let cal = Calendar::new("Europe/Berlin", "mon-sun 09:00-17:00", &[]).expect("calendar");
        let saturday = zoned("2026-03-28T09:00:00+01:00[Europe/Berlin]");
        let sunday_close = zoned("2026-03-29T17:00:00+02:00[Europe/Berlin]");
        assert_eq!(cal.add(saturday, Target::Hours(16)), sunday_close);
        let weekend = cal.working_between(
            zoned("2026-03-28T00:00:00+01:00[Europe/Berlin]"),
            zoned("2026-03-30T00:00:00+02:00[Europe/Berlin]"),
        );
        assert_eq!(weekend, hours(16));
        // A working day later is the same wall time, 23 absolute hours.
        let start = zoned("2026-03-28T10:00:00+01:00[Europe/Berlin]");
        let next = cal.add(start, Target::Days(1));
        assert_eq!(next, zoned("2026-03-29T10:00:00+02:00[Europe/Berlin]"));
        assert_eq!(next.duration_since(start), hours(23));
    }

    #[test]
    fn autumn_change_keeps_eight_wall_hours() {
        let cal = Calendar::new("Europe/Berlin", "mon-sun 09:00-17:00", &[]).expect("calendar");
        let saturday = zoned("2026-10-24T09:00:00+02:00[Europe/Berlin]");
        let sunday_close = zoned("2026-10-25T17:00:00+01:00[Europe/Berlin]");
        assert_eq!(cal.add(saturday, Target::Hours(16)), sunday_close);
        let start = zoned("2026-10-24T10:00:00+02:00[Europe/Berlin]");
        let next = cal.add(start, Target::Days(1));
        assert_eq!(next, zoned("2026-10-25T10:00:00+01:00[Europe/Berlin]"));
        assert_eq!(next.duration_since(start), hours(25));
    }

    #[test]
    fn night_hours_across_a_change_shrink_or_stretch() {
        let cal = Calendar::new("Europe/Berlin", "mon-sun 00:00-06:00", &[]).expect("calendar");
        let spring = zoned("2026-03-29T00:00:00+01:00[Europe/Berlin]");
        let monday = zoned("2026-03-30T00:00:00+02:00[Europe/Berlin]");
        assert_eq!(cal.working_between(spring, monday), hours(5));
        assert_eq!(monday.duration_since(spring), hours(23));
        assert_eq!(
            cal.add(spring, Target::Hours(6)),
            zoned("2026-03-30T01:00:00+02:00[Europe/Berlin]")
        );
        let autumn = zoned("2026-10-25T00:00:00+02:00[Europe/Berlin]");
        let monday = zoned("2026-10-26T00:00:00+01:00[Europe/Berlin]");
        assert_eq!(cal.working_between(autumn, monday), hours(7));
        assert_eq!(monday.duration_since(autumn), hours(25));
    }

    #[test]
    fn round_the_clock_across_a_change_counts_absolute_hours() {
        let berlin = Calendar::new("Europe/Berlin", "mon-sun 00:00-24:00", &[]).expect("calendar");
        let start = zoned("2026-03-28T12:00:00+01:00[Europe/Berlin]");
        let later = zoned("2026-03-29T13:00:00+02:00[Europe/Berlin]");
        assert_eq!(berlin.add(start, Target::Hours(24)), later);
        assert_eq!(Calendar::always().add(start, Target::Hours(24)), later);
        assert_eq!(Calendar::always().add(start, Target::Days(1)), later);
        // A zone's working day is a wall day: 23 hours this once.
        let wall = zoned("2026-03-29T12:00:00+02:00[Europe/Berlin]");
        assert_eq!(berlin.add(start, Target::Days(1)), wall);
        assert_eq!(berlin.working_between(start, later), hours(24));
    }

    #[test]
    fn hours_may_run_to_midnight() {
        let cal = moscow("mon-fri 20:00-24:00");
        assert!(cal.is_working(msk("2026-12-01T23:59")));
        assert!(!cal.is_working(msk("2026-12-02T00:00")));
        assert!(cal.is_working(msk("2026-12-04T23:30")));
        assert!(!cal.is_working(msk("2026-12-05T00:00")));
        assert_eq!(
            cal.add(msk("2026-12-01T23:30"), Target::Hours(1)),
            msk("2026-12-02T20:30")
        );
        assert_eq!(
            cal.add(msk("2026-12-01T20:00"), Target::Hours(4)),
            msk("2026-12-02T00:00")
        );
    }

    #[test]
    fn working_between_sums_the_working_time() {
        let cal = office();
        let (friday, tuesday) = (msk("2026-12-04T17:00"), msk("2026-12-08T10:00"));
        assert_eq!(cal.working_between(friday, tuesday), hours(11));
        assert_eq!(cal.working_between(tuesday, friday), SignedDuration::ZERO);
        assert_eq!(cal.working_between(friday, friday), SignedDuration::ZERO);
        let weekend = cal.working_between(msk("2026-12-05T00:00"), msk("2026-12-07T00:00"));
        assert_eq!(weekend, SignedDuration::ZERO);
    }

    #[test]
    fn extend_moves_the_due_time_by_the_paused_working_time() {
        let cal = office();
        let due = msk("2026-12-07T11:00");
        // Friday 17:00 → Monday 10:00 is two working hours.
        let moved = cal.extend(due, msk("2026-12-04T17:00"), msk("2026-12-07T10:00"));
        assert_eq!(moved, msk("2026-12-07T13:00"));
        // A pause inside the weekend costs nothing.
        assert_eq!(
            cal.extend(due, msk("2026-12-05T10:00"), msk("2026-12-06T10:00")),
            due
        );
        // Extending a closing due time carries into the next day.
        let closing = msk("2026-12-04T18:00");
        let moved = cal.extend(closing, msk("2026-12-04T15:00"), msk("2026-12-04T16:00"));
        assert_eq!(moved, msk("2026-12-07T10:00"));
    }

    #[test]
    fn sub_walks_back_to_the_latest_instant() {
        let cal = office();
        assert_eq!(
            cal.sub(msk("2026-12-07T11:00"), Target::Hours(4)),
            msk("2026-12-04T16:00")
        );
        assert_eq!(
            cal.sub(msk("2026-12-07T09:00"), Target::Hours(1)),
            msk("2026-12-04T17:00")
        );
        assert_eq!(
            cal.sub(msk("2026-12-07T10:00"), Target::Hours(1)),
            msk("2026-12-07T09:00")
        );
        assert_eq!(
            cal.sub(msk("2026-12-03T11:00"), Target::Days(2)),
            msk("2026-12-01T11:00")
        );
        assert_eq!(
            cal.sub(msk("2026-12-07T18:00"), Target::Days(1)),
            msk("2026-12-07T09:00")
        );
    }

    #[test]
    fn a_sparse_calendar_stops_after_about_three_years() {
        let cal = moscow("mon 09:00-09:01");
        let start = msk("2026-12-01T10:00");
        let due = cal.add(start, Target::Minutes(100_000));
        assert!(due > start);
        assert!(due < start + hours(24 * 365 * 4));
    }

    #[test]
    fn hours_syntax_variants() {
        let weekend = moscow("Sat,Sun 10:00-14:00");
        assert!(weekend.is_working(msk("2026-12-05T12:00")));
        assert!(weekend.is_working(msk("2026-12-06T10:00")));
        assert!(!weekend.is_working(msk("2026-12-07T12:00")));
        let israel = moscow("sun-thu 08:00-17:00");
        assert!(israel.is_working(msk("2026-12-06T12:00")));
        assert!(israel.is_working(msk("2026-12-03T12:00")));
        assert!(!israel.is_working(msk("2026-12-04T12:00")));
        for same in [
            "mon-fri 09:00-13:00,14:00-18:00",
            "MON-FRI 9:00-13:00 14:00-18:00",
            "mon-fri 09:00-13:00; mon-fri 14:00-18:00;",
            " mon , tue,wed-fri 09:00-13:00  14:00-18:00 ",
        ] {
            let cal = moscow(same);
            let day = cal.working_between(msk("2026-12-04T00:00"), msk("2026-12-05T00:00"));
            assert_eq!(day, hours(8), "{same}");
            assert!(!cal.is_working(msk("2026-12-04T13:30")), "{same}");
        }
        let adjacent = moscow("mon 09:00-10:00 10:00-11:00");
        assert_eq!(
            adjacent.add(msk("2026-12-07T09:30"), Target::Hours(1)),
            msk("2026-12-07T10:30")
        );
    }

    #[test]
    fn calendar_errors_name_their_field() {
        let err = |zone: &str, hours: &str| Calendar::new(zone, hours, &[]).expect_err(hours);
        let e = err("Mars/Olympus", "mon-fri 09:00-18:00");
        assert_eq!(
            (e.field(), e),
            ("zone", CalendarError::UnknownZone("Mars/Olympus".into()))
        );
        assert_eq!(err("", "mon-fri 09:00-18:00").field(), "zone");
        for bad in [
            "mon-fri",
            "09:00-18:00",
            "xyz 09:00-10:00",
            "mon-fri 9-18",
            "mon-fri 25:00-26:00",
            "mon-fri 09:60-10:00",
            "mon-fri 09:00-24:01",
            "mon-fri 09:00",
            "mon-fri 09:00-1800",
        ] {
            let e = err("Europe/Moscow", bad);
            assert!(matches!(e, CalendarError::Hours(_)), "{bad}: {e:?}");
            assert_eq!(e.field(), "hours");
        }
        for empty in ["mon-fri 18:00-09:00", "mon 09:00-09:00", "mon 24:00-24:00"] {
            let e = err("Europe/Moscow", empty);
            assert!(matches!(e, CalendarError::EmptyRange(_)), "{empty}: {e:?}");
            assert_eq!(e.field(), "hours");
        }
        let e = err("Europe/Moscow", "mon-fri 09:00-13:00 12:00-18:00");
        assert_eq!(e, CalendarError::Overlap("mon"));
        let e = err("Europe/Moscow", "mon-fri 09:00-18:00; fri 17:00-19:00");
        assert_eq!((e.field(), e), ("hours", CalendarError::Overlap("fri")));
        for nothing in ["", " ; ;"] {
            let e = err("Europe/Moscow", nothing);
            assert_eq!((e.field(), e), ("hours", CalendarError::NoWorkingHours));
        }
        let day = date("2026-12-31");
        let e = Calendar::new(
            "Europe/Moscow",
            "mon-fri 09:00-18:00",
            &[day, date("2027-01-01"), day],
        )
        .expect_err("duplicate");
        assert_eq!(
            (e.field(), e),
            ("holidays", CalendarError::DuplicateHoliday(day))
        );
    }

    #[test]
    fn targets_parse() {
        assert_eq!(parse_target("30m"), Ok(Target::Minutes(30)));
        assert_eq!(parse_target(" 4h "), Ok(Target::Hours(4)));
        assert_eq!(parse_target("2d"), Ok(Target::Days(2)));
        assert_eq!(parse_target("365d"), Ok(Target::Days(365)));
        assert_eq!(parse_target("10000h"), Ok(Target::Hours(10_000)));
        assert_eq!(parse_target("100000m"), Ok(Target::Minutes(100_000)));
        assert_eq!("07h".parse(), Ok(Target::Hours(7)));
        for t in [Target::Minutes(30), Target::Hours(4), Target::Days(2)] {
            assert_eq!(parse_target(&t.to_string()), Ok(t));
        }
    }

    #[test]
    fn bad_targets_are_refused() {
        assert_eq!(parse_target(""), Err(TargetError::Empty));
        assert_eq!(parse_target("   "), Err(TargetError::Empty));
        assert_eq!(parse_target("0m"), Err(TargetError::Zero));
        assert_eq!(parse_target("000d"), Err(TargetError::Zero));
        for bad in [
            "5x", "-1h", "+1h", "h", "1.5h", "4 h", "90min", "4H", "2w", "д", "1д",
        ] {
            assert!(
                matches!(parse_target(bad), Err(TargetError::Unparsable(_))),
                "{bad}"
            );
        }
        for big in ["366d", "10001h", "100001m", "99999999999d"] {
            assert!(
                matches!(parse_target(big), Err(TargetError::TooLarge(_))),
                "{big}"
            );
        }
    }

    #[test]
    fn instants_convert_to_and_from_time_exactly() {
        let ts = zoned("2026-12-01T09:30:00.123456+03:00[Europe/Moscow]");
        let t = to_time(ts);
        assert_eq!(t, time::macros::datetime!(2026-12-01 06:30:00.123456 UTC));
        assert_eq!(from_time(t), ts);
        let offset = time::macros::datetime!(2026-12-01 09:30:00.000001 +03:00);
        assert_eq!(to_time(from_time(offset)), offset);
        assert_eq!(
            from_time(time::OffsetDateTime::UNIX_EPOCH),
            Timestamp::UNIX_EPOCH
        );
    }
}
