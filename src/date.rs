//! Dates as the genre writes them, turned into values with a precision: a day, a month or a
//! year, alone or as a range (`2019年6月17日至19日`, `2020年11月30日至2021年2月28日`,
//! `2018—2023年`, `一九六一年`).
//!
//! The regexes that find dates are rules (`rules/patterns/dates.toml`); this module only reads
//! their named groups: `y m d` for the start, `y2 m2 d2` for the end (missing parts are taken
//! from the start), `cy`/`cy2` for years in Chinese numerals. An impossible date (`2月30日`)
//! is no date.

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use regex::Captures;

/// A calendar point of year, month or day precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Point {
    pub year: i32,
    pub month: Option<u32>,
    pub day: Option<u32>,
}

impl Point {
    /// The XSD lexical form and datatype local name (`date`, `gYearMonth`, `gYear`).
    pub fn xsd(&self) -> (String, &'static str) {
        match (self.month, self.day) {
            (Some(m), Some(d)) => (format!("{:04}-{m:02}-{d:02}", self.year), "date"),
            (Some(m), None) => (format!("{:04}-{m:02}", self.year), "gYearMonth"),
            _ => (format!("{:04}", self.year), "gYear"),
        }
    }

    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
            .expect("validated")
    }

    pub fn last_day(&self) -> NaiveDate {
        match (self.month, self.day) {
            (Some(m), Some(d)) => NaiveDate::from_ymd_opt(self.year, m, d).expect("validated"),
            (Some(m), None) => {
                let next = if m == 12 {
                    (self.year + 1, 1)
                } else {
                    (self.year, m + 1)
                };
                NaiveDate::from_ymd_opt(next.0, next.1, 1)
                    .expect("valid")
                    .pred_opt()
                    .expect("valid")
            }
            _ => NaiveDate::from_ymd_opt(self.year, 12, 31).expect("valid"),
        }
    }

    fn valid(&self) -> bool {
        (1..=9999).contains(&self.year)
            && match (self.month, self.day) {
                (Some(m), Some(d)) => NaiveDate::from_ymd_opt(self.year, m, d).is_some(),
                (Some(m), None) => (1..=12).contains(&m),
                (None, Some(_)) => false,
                (None, None) => true,
            }
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.xsd().0)
    }
}

/// A date or a date range; a single date has `start == end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateValue {
    pub start: Point,
    pub end: Point,
}

impl DateValue {
    pub fn is_day(&self) -> bool {
        self.start.day.is_some() && self.start == self.end
    }
}

impl fmt::Display for DateValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}/{}", self.start, self.end)
        }
    }
}

/// A date as written: the numbers of a date pattern's groups, before the year or month the
/// text leaves out is filled in from the context.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawDate {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    end_year: Option<i32>,
    end_month: Option<u32>,
    end_day: Option<u32>,
    relative: Relative,
}

/// Years the text names relative to the document or to the date before (`今年`, `同年`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Relative {
    #[default]
    None,
    ThisYear,
    LastYear,
    NextYear,
    SameYear,
}

/// What a date written without a year or month is read against.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context {
    /// The document's date.
    pub document: Option<Point>,
    /// The date written before, in the same paragraph.
    pub previous: Option<Point>,
}

impl RawDate {
    /// Reads the named groups: `y m d` (start), `y2 m2 d2` (end), `cy cy2` (years in Chinese
    /// numerals), `ty` (this year), `ly` (last year), `ny` (next year), `sy` (the same year as
    /// the date before).
    pub fn from_captures(caps: &Captures, numerals: &HashMap<char, u32>) -> RawDate {
        let num = |name: &str| caps.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
        let cyear = |name: &str| {
            caps.name(name)
                .and_then(|m| chinese_year(m.as_str(), numerals))
        };
        let relative = [
            ("ty", Relative::ThisYear),
            ("ly", Relative::LastYear),
            ("ny", Relative::NextYear),
            ("sy", Relative::SameYear),
        ]
        .into_iter()
        .find(|(g, _)| caps.name(g).is_some())
        .map_or(Relative::None, |(_, r)| r);
        // `cm`, `cd`: a month or day in Chinese numerals (十二月, 二十六日).
        let small = |name: &str| {
            caps.name(name)
                .and_then(|m| chinese_number(m.as_str(), numerals))
        };
        RawDate {
            year: num("y").map(|y| y as i32).or_else(|| cyear("cy")),
            month: num("m").or_else(|| small("cm")),
            day: num("d").or_else(|| small("cd")),
            end_year: num("y2").map(|y| y as i32).or_else(|| cyear("cy2")),
            end_month: num("m2").or_else(|| small("cm2")),
            end_day: num("d2").or_else(|| small("cd2")),
            relative,
        }
    }

    /// The date, with what the text leaves out taken from the context: a year from the
    /// document (or, failing that, the date before); a bare day's month and year from the date
    /// before (or the document). `None` when the context is missing or the date impossible.
    pub fn resolve(&self, ctx: Context) -> Option<DateValue> {
        let doc = ctx.document.or(ctx.previous);
        let near = ctx.previous.or(ctx.document);
        let (year, month) = match (self.year, self.relative, self.month) {
            (Some(y), _, m) => (y, m),
            (None, Relative::ThisYear, m) => (ctx.document?.year, m),
            (None, Relative::LastYear, m) => (ctx.document?.year - 1, m),
            (None, Relative::NextYear, m) => (ctx.document?.year + 1, m),
            (None, Relative::SameYear, m) => (ctx.previous?.year, m),
            (None, Relative::None, Some(m)) => (doc?.year, Some(m)),
            (None, Relative::None, None) if self.day.is_some() => (near?.year, near?.month),
            (None, Relative::None, None) => return None,
        };
        let start = Point {
            year,
            month,
            day: self.day,
        };
        let end = match (self.end_year, self.end_month, self.end_day) {
            (None, None, None) => start,
            (Some(y2), None, None) => Point {
                year: y2,
                month: None,
                day: None,
            },
            (y2, m2, d2) => Point {
                year: y2.unwrap_or(year),
                month: m2.or(month),
                day: d2,
            },
        };
        let value = DateValue { start, end };
        (start.valid() && end.valid() && start.first_day() <= end.last_day()).then_some(value)
    }
}

/// `十` → 10, `十二` → 12, `二十六` → 26, `七` → 7: months and days in Chinese numerals. The
/// numeral table maps the ten to 10.
pub fn chinese_number(text: &str, numerals: &HashMap<char, u32>) -> Option<u32> {
    let values: Option<Vec<u32>> = text.chars().map(|c| numerals.get(&c).copied()).collect();
    match values?.as_slice() {
        [d] if *d < 10 => Some(*d),
        [10] => Some(10),
        [10, d] if *d < 10 => Some(10 + d),
        [t, 10] if *t < 10 => Some(t * 10),
        [t, 10, d] if *t < 10 && *d < 10 => Some(t * 10 + d),
        _ => None,
    }
}

/// `一九六一` → 1961: one numeral per digit, as years are written.
pub fn chinese_year(text: &str, numerals: &HashMap<char, u32>) -> Option<i32> {
    let digits: Option<Vec<u32>> = text
        .chars()
        .map(|c| numerals.get(&c).copied().filter(|d| *d < 10))
        .collect();
    let digits = digits?;
    (digits.len() == 4).then(|| digits.iter().fold(0, |acc, d| acc * 10 + *d as i32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn numerals() -> HashMap<char, u32> {
        "〇一二三四五六七八九"
            .chars()
            .enumerate()
            .map(|(i, c)| (c, i as u32))
            .chain([('零', 0), ('十', 10)])
            .collect()
    }

    fn check(re: &str, text: &str, expect: Option<&str>) {
        let re = Regex::new(re).unwrap();
        let caps = re.captures(text).unwrap();
        let ctx = Context {
            document: Some(Point {
                year: 2020,
                month: Some(11),
                day: Some(10),
            }),
            previous: None,
        };
        let got = RawDate::from_captures(&caps, &numerals())
            .resolve(ctx)
            .map(|d| d.to_string());
        assert_eq!(got.as_deref(), expect, "{text}");
    }

    const FULL: &str = r"(?P<y>\d{4})年(?:(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})日)?)?(?:至(?:(?P<y2>\d{4})年)?(?:(?P<m2>\d{1,2})月)?(?:(?P<d2>\d{1,2})日)?)?";

    #[test]
    fn dates_of_the_genre() {
        check(FULL, "2019年6月17日至19日", Some("2019-06-17/2019-06-19"));
        check(
            FULL,
            "2020年11月30日至2021年2月28日",
            Some("2020-11-30/2021-02-28"),
        );
        check(FULL, "2020年11月10日", Some("2020-11-10"));
        check(FULL, "2019年", Some("2019"));
        check(FULL, "2020年9月", Some("2020-09"));
        check(FULL, "2020年2月30日", None);
        check(FULL, "2020年11月30日至10日", None);
        check(
            r"(?P<y>\d{4})—(?P<y2>\d{4})年",
            "2018—2023年",
            Some("2018/2023"),
        );
        check(
            r"(?P<cy>[〇一二三四五六七八九]{4})年",
            "一九六一年",
            Some("1961"),
        );
        check(
            r"(?P<cy>[〇一二三四五六七八九]{4})年(?P<cm>[一二三四五六七八九十]{1,2})月(?P<cd>[一二三四五六七八九十]{1,3})日",
            "一九八二年十二月十日",
            Some("1982-12-10"),
        );
        check(
            r"(?P<cy>[〇一二三四五六七八九]{4})年(?P<cm>[一二三四五六七八九十]{1,2})月(?P<cd>[一二三四五六七八九十]{1,3})日",
            "一九九六年四月二十六日",
            Some("1996-04-26"),
        );
        check(
            r"(?P<m>\d{1,2})月(?P<d>\d{1,2})日",
            "6月13日",
            Some("2020-06-13"),
        );
    }

    #[test]
    fn range_bounds() {
        let p = Point {
            year: 2020,
            month: Some(2),
            day: None,
        };
        assert_eq!(p.last_day().to_string(), "2020-02-29");
        assert_eq!(
            Point {
                year: 2019,
                month: None,
                day: None
            }
            .first_day()
            .to_string(),
            "2019-01-01"
        );
    }
}
