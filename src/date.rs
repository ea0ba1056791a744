//! Dates as the genre writes them, turned into values with a precision: a day, a month or a
//! year, alone or as a range (`2019年6月17日至19日`, `2020年11月30日至2021年2月28日`,
//! `2018—2023年`, `一九六一年`).
//!
//! The regexes that find dates are rules (`rules/patterns/dates.toml`); this module only reads
//! their named groups: `y m d` for the start, `y2 m2 d2` for the end (missing parts are taken
//! from the start), `cy`/`cy2` for years written digit by digit in numerals (`二〇〇二`,
//! `二0一四`), `cm cd` (`cm2 cd2`) for months and days in numerals (`十一月`, `廿一日`), and
//! the relative groups: `ty ly ny sy` for years (this, last, next, the same as the date before),
//! `td yd nd` for days (today, yesterday, tomorrow; with `d`, the day they name: `昨（6）日`),
//! `sd` for the same day as the date before (`当天`; the document's day when none is before).
//! An impossible or doubtful date (`2月30日`, `昨（20）日` in a text of the 6th) is no date.

use std::collections::HashMap;
use std::fmt;

use chrono::{Datelike, Duration, NaiveDate};
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
    /// The single day `d`: a date given with a document rather than found in its text.
    pub fn day(d: NaiveDate) -> DateValue {
        let p = Point {
            year: d.year(),
            month: Some(d.month()),
            day: Some(d.day()),
        };
        DateValue { start: p, end: p }
    }

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
    /// Days from the document's date (`今天` 0, `昨日` −1, `明天` 1).
    day_offset: Option<i64>,
    /// `当天`, `同日` (0), `前一天` (−1), `次日` (1): days from the date written before, else
    /// from the document's day.
    from_previous: Option<i64>,
    /// Months from the document's month (`本月` 0, `上月` −1, `下月` 1).
    month_offset: Option<i32>,
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
    /// The end of the date written before: a bare day before the start day of a range that
    /// crosses a month falls in the range's last month (`10月31日至11月1日…会议1日通过`).
    pub previous_end: Option<Point>,
    /// The last date of the paragraphs before, for `当天` with no date before it in its own.
    pub earlier: Option<Point>,
}

/// The value of the first group of `table` that took part in the match (`ty` → this year).
fn first_group<T: Copy>(caps: &Captures, table: &[(&str, T)]) -> Option<T> {
    table
        .iter()
        .find(|(g, _)| caps.name(g).is_some())
        .map(|&(_, v)| v)
}

impl RawDate {
    /// Reads the named groups: `y m d` (start), `y2 m2 d2` (end), `cy cy2` (years in Chinese
    /// numerals), `cm cd cm2 cd2` (months and days in Chinese numerals), `ty` (this year), `ly`
    /// (last year), `ny` (next year), `sy` (the same year as the date before), `td` (today),
    /// `yd` (yesterday), `nd` (tomorrow), `sd` (the same day as the date before), `pd` (the day
    /// before it), `xd` (the day after it), `tm` (this month), `lm` (last month), `nm` (next
    /// month).
    pub fn from_captures(caps: &Captures, numerals: &HashMap<char, u32>) -> RawDate {
        let num = |name: &str| caps.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
        let cyear = |name: &str| {
            caps.name(name)
                .and_then(|m| chinese_year(m.as_str(), numerals))
        };
        let relative = first_group(
            caps,
            &[
                ("ty", Relative::ThisYear),
                ("ly", Relative::LastYear),
                ("ny", Relative::NextYear),
                ("sy", Relative::SameYear),
            ],
        )
        .unwrap_or(Relative::None);
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
            day_offset: first_group(caps, &[("td", 0), ("yd", -1), ("nd", 1)]),
            from_previous: first_group(caps, &[("sd", 0), ("pd", -1), ("xd", 1)]),
            month_offset: first_group(caps, &[("tm", 0), ("lm", -1), ("nm", 1)]),
        }
    }

    /// The date, with what the text leaves out taken from the context: a year from the
    /// document (or, failing that, the date before); a bare day's month and year from the date
    /// before (or the document). `None` when the context is missing or the date impossible.
    pub fn resolve(&self, ctx: Context) -> Option<DateValue> {
        if let Some(offset) = self.day_offset {
            return self.resolve_day_offset(offset, ctx.document?);
        }
        if let Some(offset) = self.from_previous {
            let day = [ctx.previous, ctx.earlier, ctx.document]
                .into_iter()
                .flatten()
                .find(|p| p.day.is_some())?;
            return self.resolve_day_offset(offset, day);
        }
        let doc = ctx.document.or(ctx.previous);
        let near = ctx.previous.or(ctx.document);
        let (year, month) = match (self.year, self.relative, self.month) {
            // `本月26日`, `上月`: the document's month moved; no other date is read against.
            _ if self.month_offset.is_some() => {
                let d = ctx.document?;
                let months = d.year * 12 + d.month? as i32 - 1 + self.month_offset?;
                (
                    months.div_euclid(12),
                    Some(months.rem_euclid(12) as u32 + 1),
                )
            }
            (Some(y), _, m) => (y, m),
            (None, Relative::ThisYear, m) => (ctx.document?.year, m),
            (None, Relative::LastYear, m) => (ctx.document?.year - 1, m),
            (None, Relative::NextYear, m) => (ctx.document?.year + 1, m),
            (None, Relative::SameYear, m) => (ctx.previous?.year, m),
            // `十二月一日至2014年1月1日`: the start's year is the end's, or the one before.
            (None, Relative::None, Some(m)) if self.end_year.is_some() => {
                let y2 = self.end_year?;
                let later = (m, self.day) > (self.end_month?, self.end_day);
                (if later { y2 - 1 } else { y2 }, Some(m))
            }
            (None, Relative::None, Some(m)) => (doc?.year, Some(m)),
            (None, Relative::None, None) if self.day.is_some() => {
                let near = match (ctx.previous, ctx.previous_end) {
                    (Some(s), Some(e))
                        if e.month.is_some() && e.month != s.month && self.day < s.day =>
                    {
                        Some(e)
                    }
                    _ => near,
                };
                // After a bare year, the month is the document's when the year is the
                // document's (`2024年中非合作论坛峰会开幕式5日…举行`) or one to come (`承诺在2035年
                // 前…。峰会24日开幕`: a target, not the time the text reports); a past year's
                // day (`2018年…峰会5日举行`) is unknown.
                let near = match near {
                    Some(p) if p.month.is_none() => ctx
                        .document
                        .filter(|d| d.year <= p.year && d.month.is_some()),
                    other => other,
                };
                // A bare day that would fall before the date written before, in another month
                // than the dateline's, is a day of the dateline's month up to its day (`…这是他
                // 10月20日就任后的首次出访。习近平9日…` under a dateline of 11月9日): the text has
                // come back from the past to the days it reports.
                let near = match (near, ctx.document) {
                    (Some(p), Some(d))
                        if p.day.is_some_and(|pd| self.day < Some(pd))
                            && d.month.is_some()
                            && d.month != p.month
                            && d.day.is_some_and(|dd| self.day <= Some(dd))
                            && p.first_day() < d.first_day() =>
                    {
                        Some(d)
                    }
                    (near, _) => near,
                };
                (near?.year, near?.month)
            }
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
            (y2, m2, d2) => {
                // `12月30日至1月2日`: a range written without the end's year ends the year after
                // when the end's month comes before the start's.
                let next = y2.is_none() && m2.is_some_and(|m2| month.is_some_and(|m| m2 < m));
                Point {
                    year: y2.unwrap_or(if next { year + 1 } else { year }),
                    month: m2.or(month),
                    day: d2,
                }
            }
        };
        let value = DateValue { start, end };
        (start.valid() && end.valid() && start.first_day() <= end.last_day()).then_some(value)
    }
}

impl RawDate {
    /// `今天`, `昨日`, `昨（6）日`: the document's day moved by `offset` days. A day written
    /// with it must be that day or one of the three days around it (a text dated the day after
    /// it was written); its month is the one that puts it nearest. Anything else is doubtful.
    fn resolve_day_offset(&self, offset: i64, document: Point) -> Option<DateValue> {
        let (Some(month), Some(day)) = (document.month, document.day) else {
            return None;
        };
        let base = NaiveDate::from_ymd_opt(document.year, month, day)?
            .checked_add_signed(Duration::days(offset))?;
        let date = match self.day {
            None => base,
            Some(d) => (-3..=3)
                .filter_map(|k| base.checked_add_signed(Duration::days(k)))
                .filter(|c| c.day() == d)
                .min_by_key(|c| (*c - base).num_days().abs())?,
        };
        let point = Point {
            year: date.year(),
            month: Some(date.month()),
            day: Some(date.day()),
        };
        Some(DateValue {
            start: point,
            end: point,
        })
    }
}

/// `十` → 10, `十二` → 12, `二十六` → 26, `七` → 7, `廿一` → 21, `卅` → 30: months and days in
/// Chinese numerals. The numeral table maps the tens (`十`, `廿`, `卅`) to 10, 20 and 30.
pub fn chinese_number(text: &str, numerals: &HashMap<char, u32>) -> Option<u32> {
    let values: Option<Vec<u32>> = text.chars().map(|c| numerals.get(&c).copied()).collect();
    let tens = |t: u32| matches!(t, 10 | 20 | 30);
    match values?.as_slice() {
        [d] if (1..10).contains(d) => Some(*d),
        [t] if tens(*t) => Some(*t),
        [t, d] if tens(*t) && (1..10).contains(d) => Some(t + d),
        [t, 10] if (1..10).contains(t) => Some(t * 10),
        [t, 10, d] if (1..10).contains(t) && (1..10).contains(d) => Some(t * 10 + d),
        _ => None,
    }
}

/// `一九六一` → 1961, `二〇〇二`, `二零一五`, `二00二` → 2002: one numeral (or digit) per digit,
/// as years are written.
pub fn chinese_year(text: &str, numerals: &HashMap<char, u32>) -> Option<i32> {
    let digits: Option<Vec<u32>> = text
        .chars()
        .map(|c| {
            c.to_digit(10)
                .or_else(|| numerals.get(&c).copied().filter(|d| *d < 10))
        })
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
            previous_end: None,
            earlier: None,
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

    /// The dates the shipped rules find in a text (normalised first, as `extract` does),
    /// read against a document of `document` (`YYYY-MM-DD`).
    fn shipped(rules: &crate::rules::Rules, text: &str, document: &str) -> Vec<String> {
        let d = NaiveDate::parse_from_str(document, "%Y-%m-%d").unwrap();
        let doc = Point {
            year: d.year(),
            month: Some(d.month()),
            day: Some(d.day()),
        };
        let clean = crate::normalize::normalize(text).text;
        crate::recognize::recognize(rules, &clean, Some(doc))
            .into_iter()
            .filter_map(|m| match m.target {
                crate::recognize::Target::Date(v) => {
                    let written: String =
                        clean.chars().skip(m.start).take(m.end - m.start).collect();
                    Some(format!("{written}={v}"))
                }
                _ => None,
            })
            .collect()
    }

    /// Every written form of the genre, through the shipped rules of `patterns/dates.toml`:
    /// (text, document date, the dates found as `written=value`).
    #[test]
    fn written_forms_with_the_shipped_rules() {
        let rules = crate::rules::Rules::embedded().unwrap();
        let cases: &[(&str, &str, &[&str])] = &[
            // Digits.
            (
                "2020年11月10日",
                "2021-01-01",
                &["2020年11月10日=2020-11-10"],
            ),
            (
                "2019年6月17日至19日",
                "2021-01-01",
                &["2019年6月17日至19日=2019-06-17/2019-06-19"],
            ),
            // A bare day after a bare year: the document's month, in the document's year or
            // after a year to come only.
            (
                "2024年中非合作论坛峰会开幕式5日上午在北京举行",
                "2024-09-05",
                &["2024年=2024", "5日=2024-09-05"],
            ),
            (
                "2018年中非合作论坛北京峰会5日举行",
                "2024-09-05",
                &["2018年=2018"],
            ),
            (
                "承诺在2035年前把开支提高至5%。峰会24日开幕",
                "2025-06-26",
                &["2035年=2035", "24日=2025-06-24"],
            ),
            (
                "2019年12月30日至2020年1月2日举行",
                "2021-01-01",
                &["2019年12月30日至2020年1月2日=2019-12-30/2020-01-02"],
            ),
            (
                "2019年3月至5月",
                "2021-01-01",
                &["2019年3月至5月=2019-03/2019-05"],
            ),
            (
                "2019年12月至2020年1月",
                "2021-01-01",
                &["2019年12月至2020年1月=2019-12/2020-01"],
            ),
            // 号 (號) as the day's suffix.
            ("会议于3月3号举行", "2016-02-01", &["3月3号=2016-03-03"]),
            ("會議於3月3號舉行", "2016-02-01", &["3月3号=2016-03-03"]),
            // Months and days in numerals.
            ("三月三号", "2016-02-01", &["三月三号=2016-03-03"]),
            (
                "十一月三日至五日",
                "2016-02-01",
                &["十一月三日至五日=2016-11-03/2016-11-05"],
            ),
            (
                "十二月三十一日",
                "2016-02-01",
                &["十二月三十一日=2016-12-31"],
            ),
            ("会议于廿一日举行", "2016-02-05", &["廿一日=2016-02-21"]),
            ("二月三十日", "2016-02-01", &[]),
            // Years digit by digit, with 〇, 零, ○, O or 0.
            ("二零一五年", "2021-01-01", &["二零一五年=2015"]),
            (
                "二〇〇二年六月四日",
                "2021-01-01",
                &["二〇〇二年六月四日=2002-06-04"],
            ),
            ("二00二年", "2021-01-01", &["二00二年=2002"]),
            (
                "二0一四年七月十五日",
                "2021-01-01",
                &["二0一四年七月十五日=2014-07-15"],
            ),
            ("二OO二年", "2021-01-01", &["二OO二年=2002"]),
            (
                "一九九六年四月二十六日",
                "2021-01-01",
                &["一九九六年四月二十六日=1996-04-26"],
            ),
            // Ranges across months and years.
            (
                "十二月一號至二零一四年一月一號",
                "2021-01-01",
                &["十二月一号至二零一四年一月一号=2013-12-01/2014-01-01"],
            ),
            ("2019年-2020年", "2021-01-01", &["2019年—2020年=2019/2020"]),
            ("2018—2023年", "2021-01-01", &["2018—2023年=2018/2023"]),
            (
                "8月31日至9月1日",
                "2025-09-01",
                &["8月31日至9月1日=2025-08-31/2025-09-01"],
            ),
            (
                "12月30日至1月2日",
                "2019-12-01",
                &["12月30日至1月2日=2019-12-30/2020-01-02"],
            ),
            ("计划（2023—2027）", "2021-01-01", &["2023—2027=2023/2027"]),
            ("《国际卫生条例（2005）》", "2021-01-01", &[]),
            // Bare days: month and year from the date before, or the document's.
            (
                "会议11日至12日举行",
                "2020-11-20",
                &["11日至12日=2020-11-11/2020-11-12"],
            ),
            (
                "会议15日—16日举行",
                "2020-11-20",
                &["15日—16日=2020-11-15/2020-11-16"],
            ),
            (
                "会议4月8日-11日举行",
                "2020-11-20",
                &["4月8日—11日=2020-04-08/2020-04-11"],
            ),
            (
                "当地时间11月8日至9日",
                "2020-11-20",
                // The time zone is part of the date (lexicon `time_zone`).
                &["当地时间11月8日至9日=2020-11-08/2020-11-09"],
            ),
            ("三日内", "2020-11-20", &[]),
            ("3号文件", "2020-11-20", &[]),
            // News forms and days relative to the document's.
            ("峰会昨（6）日举行", "2020-11-07", &["昨（6）日=2020-11-06"]),
            ("峰会今（6）日举行", "2020-11-06", &["今（6）日=2020-11-06"]),
            ("峰会昨(30)日举行", "2020-12-01", &["昨（30）日=2020-11-30"]),
            ("峰会昨（20）日举行", "2020-12-01", &[]),
            ("峰会昨日举行", "2020-11-07", &["昨日=2020-11-06"]),
            ("今天，峰会开幕", "2019-11-13", &["今天=2019-11-13"]),
            ("今天的世界", "2019-11-13", &[]),
            ("共创美好明天", "2019-11-13", &[]),
            ("今年3月", "2020-11-07", &["今年3月=2020-03"]),
            ("去年10月", "2020-11-07", &["去年10月=2019-10"]),
            ("明年7月1日", "2020-11-07", &["明年7月1日=2021-07-01"]),
            // Days of the document's month, or of the month before or after it.
            (
                "本月26日正式成为成员国",
                "2025-10-28",
                &["本月26日=2025-10-26"],
            ),
            ("上月28日", "2025-01-10", &["上月28日=2024-12-28"]),
            ("下月一日", "2023-11-23", &["下月一日=2023-12-01"]),
            ("下个月", "2023-12-05", &["下个月=2024-01"]),
            (
                "上月20日至22日",
                "2024-03-01",
                &["上月20日至22日=2024-02-20/2024-02-22"],
            ),
            ("上月30日", "2024-03-01", &[]),
            (
                "峰会今明两天（18、19日）举行",
                "2023-05-18",
                &["今明两天（18、19日）=2023-05-18/2023-05-19"],
            ),
            (
                "今年11月18日至19日",
                "2024-12-20",
                &["今年11月18日至19日=2024-11-18/2024-11-19"],
            ),
            (
                "2001年6月15日。同年9月14日",
                "2021-01-01",
                &["2001年6月15日=2001-06-15", "同年9月14日=2001-09-14"],
            ),
            // Back from a date in the past to the days the dateline reports; a later day of
            // that past month stays in it.
            (
                "这是他10月20日就任后首次出访。习近平9日同他举行会谈",
                "2024-11-09",
                &["10月20日=2024-10-20", "9日=2024-11-09"],
            ),
            (
                "峰会10月20日开幕，25日闭幕",
                "2024-11-09",
                &["10月20日=2024-10-20", "25日=2024-10-25"],
            ),
        ];
        for (text, document, expect) in cases {
            assert_eq!(&shipped(&rules, text, document), expect, "{text}");
        }
    }

    #[test]
    fn numbers_in_numerals() {
        let n = numerals_with_tens();
        let cases: &[(&str, Option<u32>)] = &[
            ("七", Some(7)),
            ("十", Some(10)),
            ("十二", Some(12)),
            ("二十", Some(20)),
            ("二十六", Some(26)),
            ("三十一", Some(31)),
            ("廿", Some(20)),
            ("廿一", Some(21)),
            ("卅", Some(30)),
            ("卅一", Some(31)),
            ("〇", None),
            ("十十", None),
            ("廿十", None),
            ("一二", None),
        ];
        for (text, expect) in cases {
            assert_eq!(chinese_number(text, &n), *expect, "{text}");
        }
        let years: &[(&str, Option<i32>)] = &[
            ("一九六一", Some(1961)),
            ("二〇〇二", Some(2002)),
            ("二零一五", Some(2015)),
            ("二00二", Some(2002)),
            ("二0一四", Some(2014)),
            ("二〇二", None),
            ("二十一世", None),
        ];
        for (text, expect) in years {
            assert_eq!(chinese_year(text, &n), *expect, "{text}");
        }
    }

    fn numerals_with_tens() -> HashMap<char, u32> {
        let mut n = numerals();
        n.extend([('廿', 20), ('卅', 30)]);
        n
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
