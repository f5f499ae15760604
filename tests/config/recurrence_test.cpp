#include "config/recurrence.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

// Expected dates below were worked out by hand from a few anchors:
// 2027-01-01 is a Friday, 2027-03-01 a Monday, 2028-01-01 a Saturday;
// the EU switches to summer time on 2027-03-28 and back on 2027-10-31.

namespace herald {
namespace {

using namespace std::chrono_literals;
using date::local_days;

const date::time_zone& amsterdam() { return *date::locate_zone("Europe/Amsterdam"); }

local_days day(int y, unsigned m, unsigned d) {
  return local_days{date::year{y} / date::month{m} / date::day{d}};
}

WallTime wall(int y, unsigned m, unsigned d, int h = 0, int min = 0, int s = 0) {
  return WallTime{day(y, m, d)} + std::chrono::hours{h} + std::chrono::minutes{min} +
         std::chrono::seconds{s};
}

Recurrence every(std::string_view text) {
  std::string error;
  auto r = parse_every(text, error);
  EXPECT_TRUE(r) << text << ": " << error;
  return r.value_or(Recurrence{});
}

std::string every_error(std::string_view text) {
  std::string error;
  auto r = parse_every(text, error);
  EXPECT_FALSE(r) << text << " was accepted";
  return error;
}

Recurrence rrule(std::string_view text) {
  std::string error;
  auto r = parse_rrule(text, amsterdam(), error);
  EXPECT_TRUE(r) << text << ": " << error;
  return r.value_or(Recurrence{});
}

std::string rrule_error(std::string_view text) {
  std::string error;
  auto r = parse_rrule(text, amsterdam(), error);
  EXPECT_FALSE(r) << text << " was accepted";
  return error;
}

std::vector<std::string> text(const std::vector<WallTime>& times) {
  std::vector<std::string> out;
  for (auto t : times) out.push_back(date::format("%F %R", t));
  return out;
}

/// Expands from `start` (as both DTSTART and `from`) up to `to`.
std::vector<std::string> run(const Recurrence& r, local_days start, WallTime to) {
  return text(expand(r, start, WallTime{start}, to));
}

using Days = std::vector<date::weekday>;
using Ints = std::vector<int>;

// ---------------------------------------------------------------------------
// every: accepted

TEST(ParseEvery, Daily) {
  const auto r = every("daily 09:00");
  EXPECT_EQ(r.freq, Recurrence::Freq::daily);
  EXPECT_EQ(r.interval, 1);
  EXPECT_EQ(r.by_hour, Ints{9});
  EXPECT_EQ(r.by_minute, Ints{0});
  EXPECT_TRUE(r.by_day.empty());
  EXPECT_TRUE(r.times.empty());
  EXPECT_FALSE(r.count);
  EXPECT_FALSE(r.until);
  EXPECT_FALSE(r.several_per_day());
}

TEST(ParseEvery, SingleDigitHourAndExtraSpaces) {
  const auto r = every("  Daily   9:05  ");
  EXPECT_EQ(r.by_hour, Ints{9});
  EXPECT_EQ(r.by_minute, Ints{5});
}

TEST(ParseEvery, SeveralTimesThatAreNotAProduct) {
  const auto r = every("daily 17:30, 09:00");
  EXPECT_TRUE(r.by_hour.empty());
  EXPECT_TRUE(r.by_minute.empty());
  EXPECT_EQ(r.times, (std::vector<std::chrono::minutes>{9h, 17h + 30min}));
  EXPECT_TRUE(r.several_per_day());
}

TEST(ParseEvery, SeveralTimesThatAreAProduct) {
  const auto r = every("daily 09:00,17:00,09:00");
  EXPECT_EQ(r.by_hour, (Ints{9, 17}));
  EXPECT_EQ(r.by_minute, Ints{0});
  EXPECT_TRUE(r.times.empty());
  EXPECT_TRUE(r.several_per_day());
}

TEST(ParseEvery, WeeklyList) {
  const auto r = every("weekly mon,thu 09:00");
  EXPECT_EQ(r.freq, Recurrence::Freq::weekly);
  EXPECT_EQ(r.by_day, (Days{date::Monday, date::Thursday}));
  EXPECT_EQ(r.by_hour, Ints{9});
}

TEST(ParseEvery, WeekdayNamesAnyCaseShortOrFull) {
  EXPECT_EQ(every("weekly THURSDAY,Monday 09:00").by_day, (Days{date::Monday, date::Thursday}));
  EXPECT_EQ(every("WEEKLY Sun,sat 09:00").by_day, (Days{date::Saturday, date::Sunday}));
  EXPECT_EQ(every("weekly tuesday,wednesday,friday 09:00").by_day,
            (Days{date::Tuesday, date::Wednesday, date::Friday}));
}

TEST(ParseEvery, WeeklySpacesAfterCommasAndRepeats) {
  EXPECT_EQ(every("weekly mon, thu ,mon 09:00").by_day, (Days{date::Monday, date::Thursday}));
}

TEST(ParseEvery, WeekdayRanges) {
  EXPECT_EQ(every("weekly mon-fri 08:30").by_day,
            (Days{date::Monday, date::Tuesday, date::Wednesday, date::Thursday, date::Friday}));
  // Ranges wrap around the end of the week.
  EXPECT_EQ(every("weekly fri-mon 10:00").by_day,
            (Days{date::Monday, date::Friday, date::Saturday, date::Sunday}));
  EXPECT_EQ(every("weekly thurs 10:00").by_day, Days{date::Thursday});
  EXPECT_EQ(every("weekly mon-tue,saturday-sunday 10:00").by_day,
            (Days{date::Monday, date::Tuesday, date::Saturday, date::Sunday}));
}

TEST(ParseEvery, Monthly) {
  const auto r = every("monthly 1 09:00");
  EXPECT_EQ(r.freq, Recurrence::Freq::monthly);
  EXPECT_EQ(r.by_month_day, Ints{1});
  EXPECT_EQ(every("monthly 15,1 09:00").by_month_day, (Ints{1, 15}));
  EXPECT_EQ(every("monthly -1 18:00").by_month_day, Ints{-1});
  EXPECT_EQ(every("monthly 31,-31 18:00").by_month_day, (Ints{-31, 31}));
}

TEST(ParseEvery, SameRuleAsTheEquivalentRrule) {
  EXPECT_EQ(every("weekly mon 09:00"), rrule("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0"));
  EXPECT_EQ(every("monthly 1,15 09:30"),
            rrule("FREQ=MONTHLY;BYMONTHDAY=15,1;BYMINUTE=30;BYHOUR=9"));
  EXPECT_EQ(every("daily 09:00,17:00"), rrule("FREQ=DAILY;BYHOUR=17,9;BYMINUTE=0"));
}

// ---------------------------------------------------------------------------
// every: rejected

TEST(ParseEvery, Rejects) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"", "empty rule; expected e.g. 'daily 09:00', 'weekly mon,thu 09:00' or 'monthly 1 09:00'"},
      {"   ", "empty rule; expected e.g. 'daily 09:00', 'weekly mon,thu 09:00' or 'monthly 1 09:00'"},
      {"hourly 09:00", "unknown frequency 'hourly'; expected daily, weekly or monthly"},
      {"every 2 weeks", "unknown frequency 'every'; expected daily, weekly or monthly"},
      {"daily", "daily needs a time, e.g. 'daily 09:00'"},
      {"daily 25:00", "expected HH:MM, got '25:00'"},
      {"daily 24:00", "expected HH:MM, got '24:00'"},
      {"daily 09:60", "expected HH:MM, got '09:60'"},
      {"daily 0900", "expected HH:MM, got '0900'"},
      {"daily 9:5", "expected HH:MM, got '9:5'"},
      {"daily 009:00", "expected HH:MM, got '009:00'"},
      {"daily :30", "expected HH:MM, got ':30'"},
      {"daily 9am", "expected HH:MM, got '9am'"},
      {"daily 09:00,,10:00", "expected HH:MM, got ''"},
      {"daily 09:00,", "expected HH:MM, got ''"},
      {"daily 09:00 17:00", "unexpected '17:00' after the time"},
      {"weekly mnday 09:00", "unknown weekday 'mnday'"},
      {"weekly mon,thurz 09:00", "unknown weekday 'thurz'"},
      {"weekly wed-wed 09:00", "day range 'wed-wed' starts and ends on the same day"},
      {"weekly mon-frii 09:00", "unknown weekday 'frii'"},
      {"weekly mo-fri 09:00", "unknown weekday 'mo'"},
      {"weekly mon- 09:00", "incomplete weekday range 'mon-'"},
      {"weekly -fri 09:00", "incomplete weekday range '-fri'"},
      {"weekly mon,,thu 09:00", "empty weekday in 'mon,,thu'"},
      {"weekly 09:00", "weekly needs weekdays and a time, e.g. 'weekly mon,thu 09:00'"},
      {"weekly mon", "weekly needs weekdays and a time, e.g. 'weekly mon,thu 09:00'"},
      {"weekly mon 9", "expected HH:MM, got '9'"},
      {"weekly mon 09:00 extra", "unexpected 'extra' after the time"},
      {"monthly 09:00", "monthly needs days of the month and a time, e.g. 'monthly 1,15 09:00'"},
      {"monthly 32 09:00",
       "expected a day of the month (1 to 31, or -1 for the last day), got '32'"},
      {"monthly 0 09:00", "expected a day of the month (1 to 31, or -1 for the last day), got '0'"},
      {"monthly -32 09:00",
       "expected a day of the month (1 to 31, or -1 for the last day), got '-32'"},
      {"monthly first 09:00",
       "expected a day of the month (1 to 31, or -1 for the last day), got 'first'"},
      {"monthly 1-5 09:00",
       "expected a day of the month (1 to 31, or -1 for the last day), got '1-5'"},
      {"monthly 1,,15 09:00",
       "expected a day of the month (1 to 31, or -1 for the last day), got ''"},
  };
  for (const auto& c : cases) EXPECT_EQ(every_error(c.text), c.error) << "input: " << c.text;
}

// ---------------------------------------------------------------------------
// rrule: accepted

TEST(ParseRrule, WeeklyWithTime) {
  const auto r = rrule("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0");
  EXPECT_EQ(r.freq, Recurrence::Freq::weekly);
  EXPECT_EQ(r.by_day, Days{date::Monday});
  EXPECT_EQ(r.by_hour, Ints{9});
  EXPECT_EQ(r.by_minute, Ints{0});
  EXPECT_EQ(r.week_start, date::Monday);
}

TEST(ParseRrule, PrefixCaseAndSpaces) {
  const auto expected = rrule("FREQ=DAILY;BYHOUR=9");
  EXPECT_EQ(rrule("RRULE:FREQ=DAILY;BYHOUR=9"), expected);
  EXPECT_EQ(rrule("rrule:freq=daily;byhour=9"), expected);
  EXPECT_EQ(rrule("  FREQ=DAILY ; BYHOUR = 9 "), expected);
}

TEST(ParseRrule, EveryFrequency) {
  EXPECT_EQ(rrule("FREQ=DAILY").freq, Recurrence::Freq::daily);
  EXPECT_EQ(rrule("FREQ=WEEKLY").freq, Recurrence::Freq::weekly);
  EXPECT_EQ(rrule("FREQ=MONTHLY").freq, Recurrence::Freq::monthly);
  EXPECT_EQ(rrule("FREQ=YEARLY").freq, Recurrence::Freq::yearly);
}

TEST(ParseRrule, TimeDefaultsToMidnight) {
  const auto r = rrule("FREQ=DAILY");
  EXPECT_TRUE(r.by_hour.empty());
  EXPECT_TRUE(r.by_minute.empty());
  EXPECT_FALSE(r.several_per_day());
  EXPECT_EQ(run(r, day(2027, 3, 1), wall(2027, 3, 3)),
            (std::vector<std::string>{"2027-03-01 00:00", "2027-03-02 00:00"}));
}

TEST(ParseRrule, Lists) {
  const auto r = rrule("FREQ=MONTHLY;BYMONTHDAY=1,-1,1;BYHOUR=17,9;BYMINUTE=30,0;BYMONTH=12,3");
  EXPECT_EQ(r.by_month_day, (Ints{-1, 1}));
  EXPECT_EQ(r.by_hour, (Ints{9, 17}));
  EXPECT_EQ(r.by_minute, (Ints{0, 30}));
  EXPECT_EQ(r.by_month, (Ints{3, 12}));
  EXPECT_TRUE(r.several_per_day());
  EXPECT_EQ(rrule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=+29").by_month_day, Ints{29});
  EXPECT_EQ(rrule("FREQ=WEEKLY;BYDAY=th,MO,TH").by_day, (Days{date::Monday, date::Thursday}));
}

TEST(ParseRrule, SeveralHoursWithoutMinutesIsSeveralPerDay) {
  EXPECT_TRUE(rrule("FREQ=DAILY;BYHOUR=9,17").several_per_day());
  EXPECT_TRUE(rrule("FREQ=DAILY;BYMINUTE=0,30").several_per_day());
  EXPECT_FALSE(rrule("FREQ=DAILY;BYHOUR=9").several_per_day());
}

TEST(ParseRrule, IntervalCountWkst) {
  const auto r = rrule("FREQ=WEEKLY;INTERVAL=2;COUNT=10;BYDAY=TU,TH;WKST=SU");
  EXPECT_EQ(r.interval, 2);
  EXPECT_EQ(r.count, 10);
  EXPECT_EQ(r.week_start, date::Sunday);
  EXPECT_EQ(rrule("FREQ=DAILY;INTERVAL=10000").interval, 10000);
}

TEST(ParseRrule, OrdinalWeekdays) {
  const auto r = rrule("FREQ=MONTHLY;BYDAY=1MO,-1FR,TU,+2WE");
  EXPECT_EQ(r.by_day, Days{date::Tuesday});
  EXPECT_EQ(r.by_day_nth, (std::vector<NthWeekday>{{-1, date::Friday}, {1, date::Monday},
                                                   {2, date::Wednesday}}));
  EXPECT_EQ(rrule("FREQ=MONTHLY;BYDAY=5SU,-5SU").by_day_nth.size(), 2u);
  EXPECT_EQ(rrule("FREQ=YEARLY;BYMONTH=5;BYDAY=2SU").by_day_nth,
            (std::vector<NthWeekday>{{2, date::Sunday}}));
  // Without BYMONTH a YEARLY ordinal counts within the year.
  EXPECT_EQ(rrule("FREQ=YEARLY;BYDAY=20MO,-53SU").by_day_nth.size(), 2u);
}

TEST(ParseRrule, UntilDateMeansTheWholeDay) {
  EXPECT_EQ(rrule("FREQ=DAILY;UNTIL=20270630").until, wall(2027, 6, 30, 23, 59, 59));
}

TEST(ParseRrule, UntilLocalDateTime) {
  EXPECT_EQ(rrule("FREQ=DAILY;UNTIL=20270630T090000").until, wall(2027, 6, 30, 9));
  EXPECT_EQ(rrule("FREQ=DAILY;UNTIL=20270630T235959").until, wall(2027, 6, 30, 23, 59, 59));
}

TEST(ParseRrule, UntilUtcIsConvertedToTheZone) {
  // Summer: UTC+2; winter: UTC+1.
  EXPECT_EQ(rrule("FREQ=DAILY;UNTIL=20270630T070000Z").until, wall(2027, 6, 30, 9));
  EXPECT_EQ(rrule("FREQ=DAILY;UNTIL=20270115T080000Z").until, wall(2027, 1, 15, 9));
  EXPECT_EQ(rrule("FREQ=DAILY;UNTIL=20271231T230000z").until, wall(2028, 1, 1, 0));
  std::string error;
  const auto ny = parse_rrule("FREQ=DAILY;UNTIL=20270630T130000Z",
                              *date::locate_zone("America/New_York"), error);
  ASSERT_TRUE(ny) << error;
  EXPECT_EQ(ny->until, wall(2027, 6, 30, 9));   // EDT, UTC-4
}

// ---------------------------------------------------------------------------
// rrule: rejected

TEST(ParseRrule, Rejects) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"", "empty rule; expected e.g. 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0'"},
      {"RRULE:", "empty rule; expected e.g. 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0'"},
      {"BYDAY=MO", "missing FREQ"},
      {"FREQ=HOURLY", "FREQ=HOURLY is not supported"},
      {"FREQ=minutely", "FREQ=MINUTELY is not supported"},
      {"FREQ=SECONDLY", "FREQ=SECONDLY is not supported"},
      {"FREQ=FORTNIGHTLY", "unknown FREQ 'FORTNIGHTLY'; expected DAILY, WEEKLY, MONTHLY or YEARLY"},
      {"FREQ=DAILY;FOO=1", "unknown rule part 'FOO'"},
      {"FREQ=DAILY;DTSTART=20270301", "unknown rule part 'DTSTART'"},
      {"FREQ=DAILY;BYSETPOS=1", "BYSETPOS is not supported"},
      {"FREQ=YEARLY;BYWEEKNO=20", "BYWEEKNO is not supported"},
      {"FREQ=YEARLY;BYYEARDAY=100", "BYYEARDAY is not supported"},
      {"FREQ=DAILY;BYSECOND=0", "BYSECOND is not supported"},
      {"FREQ=DAILY;FREQ=WEEKLY", "duplicate FREQ"},
      {"FREQ=DAILY;BYHOUR=9;byhour=10", "duplicate BYHOUR"},
      {"FREQ=DAILY;COUNT=3;UNTIL=20270630", "COUNT and UNTIL cannot both be given"},
      {"UNTIL=20270630;FREQ=DAILY;COUNT=3", "COUNT and UNTIL cannot both be given"},
      {"FREQ=DAILY;BYHOUR=", "empty value for BYHOUR"},
      {"FREQ=", "empty value for FREQ"},
      {"FREQ=DAILY;;BYHOUR=9", "empty part in the rule (a stray ';')"},
      {"FREQ=DAILY;", "empty part in the rule (a stray ';')"},
      {"FREQ=DAILY;BYHOUR", "expected NAME=VALUE, got 'BYHOUR'"},
      {"FREQ=DAILY;BYHOUR=24", "BYHOUR=24 is out of range (0 to 23)"},
      {"FREQ=DAILY;BYHOUR=-1", "BYHOUR=-1 is out of range (0 to 23)"},
      {"FREQ=DAILY;BYHOUR=9,,10", "empty item in BYHOUR=9,,10"},
      {"FREQ=DAILY;BYHOUR=nine", "BYHOUR: expected a number, got 'nine'"},
      {"FREQ=DAILY;BYHOUR=9.5", "BYHOUR: expected a number, got '9.5'"},
      {"FREQ=DAILY;BYMINUTE=60", "BYMINUTE=60 is out of range (0 to 59)"},
      {"FREQ=YEARLY;BYMONTH=13", "BYMONTH=13 is out of range (1 to 12)"},
      {"FREQ=YEARLY;BYMONTH=0", "BYMONTH=0 is out of range (1 to 12)"},
      {"FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY=32 is out of range (1 to 31 or -31 to -1)"},
      {"FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY=0 is out of range (1 to 31 or -31 to -1)"},
      {"FREQ=MONTHLY;BYMONTHDAY=-32", "BYMONTHDAY=-32 is out of range (1 to 31 or -31 to -1)"},
      {"FREQ=DAILY;INTERVAL=0", "INTERVAL=0 is out of range (1 to 10000)"},
      {"FREQ=DAILY;INTERVAL=10001", "INTERVAL=10001 is out of range (1 to 10000)"},
      {"FREQ=DAILY;INTERVAL=-2", "INTERVAL: expected a number, got '-2'"},
      {"FREQ=DAILY;INTERVAL=two", "INTERVAL: expected a number, got 'two'"},
      {"FREQ=DAILY;COUNT=0", "COUNT=0 is out of range (1 to 1000000)"},
      {"FREQ=DAILY;COUNT=99999999999", "COUNT=99999999999 is out of range (1 to 1000000)"},
      {"FREQ=WEEKLY;BYDAY=MX",
       "unknown weekday 'MX' in BYDAY (expected MO, TU, WE, TH, FR, SA, SU)"},
      {"FREQ=WEEKLY;BYDAY=MONDAY",
       "unknown weekday 'MONDAY' in BYDAY (expected MO, TU, WE, TH, FR, SA, SU)"},
      {"FREQ=MONTHLY;BYDAY=XMO",
       "unknown weekday 'XMO' in BYDAY (expected MO, TU, WE, TH, FR, SA, SU)"},
      {"FREQ=WEEKLY;BYDAY=M", "unknown weekday 'M' in BYDAY"},
      {"FREQ=WEEKLY;BYDAY=MO,", "empty item in BYDAY=MO,"},
      {"FREQ=WEEKLY;BYDAY=1MO", "BYDAY=1MO: an ordinal weekday needs FREQ=MONTHLY or FREQ=YEARLY"},
      {"FREQ=DAILY;BYDAY=-1FR", "BYDAY=-1FR: an ordinal weekday needs FREQ=MONTHLY or FREQ=YEARLY"},
      {"FREQ=MONTHLY;BYDAY=6MO", "BYDAY=6MO: the ordinal must be 1 to 5 or -5 to -1 within a month"},
      {"FREQ=YEARLY;BYMONTH=3;BYDAY=-6SU",
       "BYDAY=-6SU: the ordinal must be 1 to 5 or -5 to -1 within a month"},
      {"FREQ=MONTHLY;BYDAY=0MO", "BYDAY=0MO: the ordinal must be 1 to 53 or -53 to -1"},
      {"FREQ=YEARLY;BYDAY=54MO", "BYDAY=54MO: the ordinal must be 1 to 53 or -53 to -1"},
      {"FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY is not allowed with FREQ=WEEKLY"},
      {"FREQ=DAILY;UNTIL=2027-06-30",
       "UNTIL=2027-06-30: expected YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ"},
      {"FREQ=DAILY;UNTIL=20270630Z",
       "UNTIL=20270630Z: expected YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ"},
      {"FREQ=DAILY;UNTIL=20270630T0900",
       "UNTIL=20270630T0900: expected YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ"},
      {"FREQ=DAILY;UNTIL=20270230", "UNTIL=20270230: no such date"},
      {"FREQ=DAILY;UNTIL=20271301", "UNTIL=20271301: no such date"},
      {"FREQ=DAILY;UNTIL=20270630T240000", "UNTIL=20270630T240000: no such time of day"},
      {"FREQ=DAILY;UNTIL=20270630T096000Z", "UNTIL=20270630T096000Z: no such time of day"},
      {"FREQ=WEEKLY;WKST=XX", "unknown weekday 'XX' in WKST (expected MO, TU, WE, TH, FR, SA, SU)"},
  };
  for (const auto& c : cases) EXPECT_EQ(rrule_error(c.text), c.error) << "input: " << c.text;
}

// ---------------------------------------------------------------------------
// Expansion tables

TEST(Expand, WeeklyMonThu) {
  const auto r = every("weekly mon,thu 09:00");
  EXPECT_EQ(run(r, day(2027, 3, 1), wall(2027, 3, 15)),
            (std::vector<std::string>{"2027-03-01 09:00", "2027-03-04 09:00", "2027-03-08 09:00",
                                      "2027-03-11 09:00"}));
  // Starting on a Wednesday drops the Monday before it.
  EXPECT_EQ(run(r, day(2027, 3, 3), wall(2027, 3, 15)),
            (std::vector<std::string>{"2027-03-04 09:00", "2027-03-08 09:00", "2027-03-11 09:00"}));
}

TEST(Expand, WeekdayRange) {
  EXPECT_EQ(run(every("weekly sat-sun 11:00"), day(2027, 3, 1), wall(2027, 3, 15)),
            (std::vector<std::string>{"2027-03-06 11:00", "2027-03-07 11:00", "2027-03-13 11:00",
                                      "2027-03-14 11:00"}));
}

TEST(Expand, DailySeveralTimes) {
  EXPECT_EQ(run(every("daily 17:30,09:00"), day(2027, 3, 1), wall(2027, 3, 2, 12)),
            (std::vector<std::string>{"2027-03-01 09:00", "2027-03-01 17:30", "2027-03-02 09:00"}));
  EXPECT_EQ(run(rrule("FREQ=DAILY;BYHOUR=17,9;BYMINUTE=30,0"), day(2027, 3, 1), wall(2027, 3, 2)),
            (std::vector<std::string>{"2027-03-01 09:00", "2027-03-01 09:30", "2027-03-01 17:00",
                                      "2027-03-01 17:30"}));
}

TEST(Expand, MonthlyLastDay) {
  EXPECT_EQ(run(every("monthly -1 18:00"), day(2027, 1, 1), wall(2027, 7, 1)),
            (std::vector<std::string>{"2027-01-31 18:00", "2027-02-28 18:00", "2027-03-31 18:00",
                                      "2027-04-30 18:00", "2027-05-31 18:00", "2027-06-30 18:00"}));
  EXPECT_EQ(run(every("monthly -1 18:00"), day(2028, 2, 1), wall(2028, 3, 1)),
            std::vector<std::string>{"2028-02-29 18:00"});
}

TEST(Expand, MonthlyFirstAndFifteenth) {
  EXPECT_EQ(run(every("monthly 15,1 08:00"), day(2027, 1, 10), wall(2027, 3, 1)),
            (std::vector<std::string>{"2027-01-15 08:00", "2027-02-01 08:00", "2027-02-15 08:00"}));
}

TEST(Expand, Monthly31SkipsShortMonths) {
  EXPECT_EQ(run(every("monthly 31 09:00"), day(2027, 1, 1), wall(2028, 1, 1)),
            (std::vector<std::string>{"2027-01-31 09:00", "2027-03-31 09:00", "2027-05-31 09:00",
                                      "2027-07-31 09:00", "2027-08-31 09:00", "2027-10-31 09:00",
                                      "2027-12-31 09:00"}));
}

TEST(Expand, WeeklyIntervalTwoCountsWeeksFromTheWeekOfStart) {
  // Start Wednesday 2027-03-03: its week (Mon 03-01 .. Sun 03-07) is week 0;
  // the Monday before the start is skipped; weeks 2, 4 ... follow.
  const auto r = rrule("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;BYHOUR=9");
  EXPECT_EQ(run(r, day(2027, 3, 3), wall(2027, 4, 5)),
            (std::vector<std::string>{"2027-03-04 09:00", "2027-03-15 09:00", "2027-03-18 09:00",
                                      "2027-03-29 09:00", "2027-04-01 09:00"}));
}

TEST(Expand, WeekStartChangesTheWeeksOfAnInterval) {
  // RFC 5545's WKST example, moved to 2027 (start Tuesday 2027-03-02).
  const auto mo = rrule("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO");
  EXPECT_EQ(run(mo, day(2027, 3, 2), wall(2028, 1, 1)),
            (std::vector<std::string>{"2027-03-02 00:00", "2027-03-07 00:00", "2027-03-16 00:00",
                                      "2027-03-21 00:00"}));
  const auto su = rrule("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU");
  EXPECT_EQ(run(su, day(2027, 3, 2), wall(2028, 1, 1)),
            (std::vector<std::string>{"2027-03-02 00:00", "2027-03-14 00:00", "2027-03-16 00:00",
                                      "2027-03-28 00:00"}));
}

TEST(Expand, DailyIntervalKeepsItsPhaseWhenFromIsLater) {
  // Every third day from 03-01: 01, 04, 07, 10, ...
  const auto r = rrule("FREQ=DAILY;INTERVAL=3;BYHOUR=9");
  EXPECT_EQ(text(expand(r, day(2027, 3, 1), wall(2027, 3, 5), wall(2027, 3, 12))),
            (std::vector<std::string>{"2027-03-07 09:00", "2027-03-10 09:00"}));
}

TEST(Expand, MonthlyIntervalKeepsItsPhaseWhenFromIsLater) {
  const auto r = rrule("FREQ=MONTHLY;INTERVAL=2;BYHOUR=9");
  EXPECT_EQ(text(expand(r, day(2027, 1, 15), wall(2027, 4, 1), wall(2027, 8, 1))),
            (std::vector<std::string>{"2027-05-15 09:00", "2027-07-15 09:00"}));
}

TEST(Expand, CountIncludesOccurrencesBeforeFrom) {
  const auto r = rrule("FREQ=DAILY;COUNT=5;BYHOUR=9");
  const auto far = wall(2030, 1, 1);
  EXPECT_EQ(text(expand(r, day(2027, 3, 1), wall(2027, 3, 1), far)),
            (std::vector<std::string>{"2027-03-01 09:00", "2027-03-02 09:00", "2027-03-03 09:00",
                                      "2027-03-04 09:00", "2027-03-05 09:00"}));
  EXPECT_EQ(text(expand(r, day(2027, 3, 1), wall(2027, 3, 4), far)),
            (std::vector<std::string>{"2027-03-04 09:00", "2027-03-05 09:00"}));
  EXPECT_TRUE(expand(r, day(2027, 3, 1), wall(2027, 3, 6), far).empty());
}

TEST(Expand, CountCountsEachTimeOfDay) {
  EXPECT_EQ(run(rrule("FREQ=DAILY;COUNT=3;BYHOUR=9,17"), day(2027, 3, 1), wall(2028, 1, 1)),
            (std::vector<std::string>{"2027-03-01 09:00", "2027-03-01 17:00", "2027-03-02 09:00"}));
}

TEST(Expand, CountIgnoresDaysBeforeStart) {
  EXPECT_EQ(run(rrule("FREQ=WEEKLY;COUNT=3;BYDAY=MO,TH;BYHOUR=9"), day(2027, 3, 3),
                wall(2028, 1, 1)),
            (std::vector<std::string>{"2027-03-04 09:00", "2027-03-08 09:00", "2027-03-11 09:00"}));
}

TEST(Expand, UntilIsInclusive) {
  const std::vector<std::string> five{"2027-03-01 09:00", "2027-03-02 09:00", "2027-03-03 09:00",
                                      "2027-03-04 09:00", "2027-03-05 09:00"};
  const auto far = wall(2028, 1, 1);
  EXPECT_EQ(run(rrule("FREQ=DAILY;BYHOUR=9;UNTIL=20270305T090000"), day(2027, 3, 1), far), five);
  EXPECT_EQ(run(rrule("FREQ=DAILY;BYHOUR=9;UNTIL=20270305"), day(2027, 3, 1), far), five);
  EXPECT_EQ(run(rrule("FREQ=DAILY;BYHOUR=9;UNTIL=20270305T080000Z"), day(2027, 3, 1), far), five);
  EXPECT_EQ(run(rrule("FREQ=DAILY;BYHOUR=9;UNTIL=20270305T085959"), day(2027, 3, 1), far).size(),
            4u);
}

TEST(Expand, ToIsExclusiveAndFromInclusive) {
  const auto r = every("daily 09:00");
  EXPECT_EQ(text(expand(r, day(2027, 3, 1), wall(2027, 3, 2, 9), wall(2027, 3, 4, 9))),
            (std::vector<std::string>{"2027-03-02 09:00", "2027-03-03 09:00"}));
  EXPECT_TRUE(expand(r, day(2027, 3, 1), wall(2027, 3, 4), wall(2027, 3, 4)).empty());
  EXPECT_TRUE(expand(r, day(2027, 3, 1), wall(2027, 3, 5), wall(2027, 3, 4)).empty());
}

TEST(Expand, NothingBeforeStart) {
  EXPECT_EQ(text(expand(every("daily 09:00"), day(2027, 3, 3), wall(2027, 3, 1), wall(2027, 3, 5))),
            (std::vector<std::string>{"2027-03-03 09:00", "2027-03-04 09:00"}));
}

TEST(Expand, Limit) {
  const auto r = every("daily 09:00");
  EXPECT_EQ(expand(r, day(2027, 3, 1), wall(2027, 3, 1), wall(2030, 1, 1), 3).size(), 3u);
  EXPECT_TRUE(expand(r, day(2027, 3, 1), wall(2027, 3, 1), wall(2030, 1, 1), 0).empty());
}

TEST(Expand, LeapDayYearlyOnlyInLeapYears) {
  EXPECT_EQ(run(rrule("FREQ=YEARLY;BYHOUR=10"), day(2028, 2, 29), wall(2037, 1, 1)),
            (std::vector<std::string>{"2028-02-29 10:00", "2032-02-29 10:00", "2036-02-29 10:00"}));
  // 2100 is not a leap year.
  EXPECT_EQ(run(rrule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"), day(2095, 1, 1), wall(2106, 1, 1)),
            (std::vector<std::string>{"2096-02-29 00:00", "2104-02-29 00:00"}));
}

TEST(Expand, DefaultsComeFromStart) {
  // WEEKLY without BYDAY: the start's weekday (Wednesday).
  EXPECT_EQ(run(rrule("FREQ=WEEKLY;BYHOUR=9"), day(2027, 3, 3), wall(2027, 3, 20)),
            (std::vector<std::string>{"2027-03-03 09:00", "2027-03-10 09:00", "2027-03-17 09:00"}));
  // MONTHLY without BYMONTHDAY/BYDAY: the start's day, skipped where missing.
  EXPECT_EQ(run(rrule("FREQ=MONTHLY"), day(2027, 1, 31), wall(2027, 6, 1)),
            (std::vector<std::string>{"2027-01-31 00:00", "2027-03-31 00:00", "2027-05-31 00:00"}));
  // YEARLY without BYMONTH: the start's month and day.
  EXPECT_EQ(run(rrule("FREQ=YEARLY"), day(2027, 3, 15), wall(2029, 1, 1)),
            (std::vector<std::string>{"2027-03-15 00:00", "2028-03-15 00:00"}));
  // YEARLY with BYMONTH only: the start's day in those months.
  EXPECT_EQ(run(rrule("FREQ=YEARLY;BYMONTH=7,1"), day(2027, 3, 15), wall(2029, 1, 1)),
            (std::vector<std::string>{"2027-07-15 00:00", "2028-01-15 00:00", "2028-07-15 00:00"}));
}

TEST(Expand, YearlyMonthDayWithoutMonthMeansEveryMonth) {
  EXPECT_EQ(run(rrule("FREQ=YEARLY;BYMONTHDAY=1"), day(2027, 10, 15), wall(2028, 2, 15)),
            (std::vector<std::string>{"2027-11-01 00:00", "2027-12-01 00:00", "2028-01-01 00:00",
                                      "2028-02-01 00:00"}));
}

TEST(Expand, DailyLimitedByDayAndMonth) {
  EXPECT_EQ(run(rrule("FREQ=DAILY;BYDAY=SA,SU;BYHOUR=10"), day(2027, 3, 1), wall(2027, 3, 15)),
            (std::vector<std::string>{"2027-03-06 10:00", "2027-03-07 10:00", "2027-03-13 10:00",
                                      "2027-03-14 10:00"}));
  EXPECT_EQ(run(rrule("FREQ=DAILY;BYMONTH=3;BYMONTHDAY=1,-1"), day(2027, 1, 1), wall(2029, 1, 1)),
            (std::vector<std::string>{"2027-03-01 00:00", "2027-03-31 00:00", "2028-03-01 00:00",
                                      "2028-03-31 00:00"}));
}

TEST(Expand, WeeklyLimitedByMonth) {
  EXPECT_EQ(run(rrule("FREQ=WEEKLY;BYDAY=MO;BYMONTH=4"), day(2027, 3, 20), wall(2027, 6, 1)),
            (std::vector<std::string>{"2027-04-05 00:00", "2027-04-12 00:00", "2027-04-19 00:00",
                                      "2027-04-26 00:00"}));
}

TEST(Expand, MonthlyOrdinalWeekdays) {
  // March 2027: first Monday the 1st, last Friday the 26th; April: 5th and 30th.
  EXPECT_EQ(run(rrule("FREQ=MONTHLY;BYDAY=1MO,-1FR;BYHOUR=9"), day(2027, 3, 1), wall(2027, 5, 1)),
            (std::vector<std::string>{"2027-03-01 09:00", "2027-03-26 09:00", "2027-04-05 09:00",
                                      "2027-04-30 09:00"}));
  // A fifth Monday exists in March 2027 (29th) and May 2027 (31st) only.
  EXPECT_EQ(run(rrule("FREQ=MONTHLY;BYDAY=5MO"), day(2027, 3, 1), wall(2027, 7, 1)),
            (std::vector<std::string>{"2027-03-29 00:00", "2027-05-31 00:00"}));
}

TEST(Expand, MonthlyPlainWeekdayMeansEveryOneInTheMonth) {
  EXPECT_EQ(run(rrule("FREQ=MONTHLY;BYDAY=FR;BYMONTH=4"), day(2027, 1, 1), wall(2028, 1, 1)),
            (std::vector<std::string>{"2027-04-02 00:00", "2027-04-09 00:00", "2027-04-16 00:00",
                                      "2027-04-23 00:00", "2027-04-30 00:00"}));
}

TEST(Expand, FridayThe13thIntersectsMonthDayAndWeekday) {
  EXPECT_EQ(run(rrule("FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR"), day(2027, 1, 1), wall(2028, 1, 1)),
            std::vector<std::string>{"2027-08-13 00:00"});
}

TEST(Expand, YearlyOrdinalWeekdays) {
  // Second Sunday of May: 2027-05-09, 2028-05-14.
  EXPECT_EQ(run(rrule("FREQ=YEARLY;BYMONTH=5;BYDAY=2SU;BYHOUR=8"), day(2027, 1, 1),
                wall(2029, 1, 1)),
            (std::vector<std::string>{"2027-05-09 08:00", "2028-05-14 08:00"}));
  // Without BYMONTH the ordinal counts in the year: first Monday and last Sunday.
  EXPECT_EQ(run(rrule("FREQ=YEARLY;BYDAY=1MO,-1SU"), day(2027, 1, 1), wall(2028, 2, 1)),
            (std::vector<std::string>{"2027-01-04 00:00", "2027-12-26 00:00", "2028-01-03 00:00"}));
}

TEST(Expand, RareButPossibleRuleIsFound) {
  // 29 February on a Monday: 2044 and then 2072.
  EXPECT_EQ(run(rrule("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO"), day(2027, 1, 1),
                wall(2100, 1, 1)),
            (std::vector<std::string>{"2044-02-29 00:00", "2072-02-29 00:00"}));
}

TEST(Expand, StaysAtNineAcrossDst) {
  const auto& zone = amsterdam();
  const auto r = every("weekly mon 09:00");
  const auto got = expand(r, day(2027, 3, 15), wall(2027, 3, 15), wall(2027, 4, 6));
  EXPECT_EQ(text(got), (std::vector<std::string>{"2027-03-15 09:00", "2027-03-22 09:00",
                                                 "2027-03-29 09:00", "2027-04-05 09:00"}));
  ASSERT_EQ(got.size(), 4u);
  // 03-22 is CET (UTC+1), 03-29 after the 03-28 switch is CEST (UTC+2).
  const auto utc = [&](WallTime w) {
    return date::format("%F %R", zone.to_sys(w, date::choose::earliest));
  };
  EXPECT_EQ(utc(got[1]), "2027-03-22 08:00");
  EXPECT_EQ(utc(got[2]), "2027-03-29 07:00");

  // And back on 2027-10-31: Monday 10-25 is CEST, Monday 11-01 is CET.
  const auto autumn = expand(r, day(2027, 10, 25), wall(2027, 10, 25), wall(2027, 11, 2));
  ASSERT_EQ(text(autumn), (std::vector<std::string>{"2027-10-25 09:00", "2027-11-01 09:00"}));
  EXPECT_EQ(utc(autumn[0]), "2027-10-25 07:00");
  EXPECT_EQ(utc(autumn[1]), "2027-11-01 08:00");
}

TEST(Expand, RuleThatNeverMatchesTerminatesQuickly) {
  const auto begin = std::chrono::steady_clock::now();
  const char* never[] = {
      "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2",
      "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=31",
      "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
      "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;BYHOUR=0,6,12,18;BYMINUTE=0,15,30,45",
      // A fifth Monday in February can only be the 29th.
      "FREQ=YEARLY;BYMONTH=2;BYDAY=5MO;BYMONTHDAY=1",
      // Every 12th month from January is always January.
      "FREQ=MONTHLY;INTERVAL=12;BYMONTH=2",
  };
  for (auto src : never) {
    EXPECT_TRUE(expand(rrule(src), day(2027, 1, 1), wall(2027, 1, 1), WallTime::max()).empty())
        << src;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds{2});
}

TEST(Expand, UnboundedRuleStopsAtTheLimitOrTheYear9999) {
  const auto r = every("monthly 1 09:00");
  const auto all = expand(r, day(9990, 1, 1), wall(9990, 1, 1), WallTime::max());
  ASSERT_EQ(all.size(), 120u);
  EXPECT_EQ(date::format("%F %R", all.back()), "9999-12-01 09:00");
  EXPECT_TRUE(expand(r, day(2027, 1, 1), WallTime::max() - std::chrono::hours{1},
                     WallTime::max()).empty());
}

TEST(Expand, TenYearsOfDailyIsFast) {
  const auto begin = std::chrono::steady_clock::now();
  const auto got = expand(every("daily 09:00"), day(2027, 1, 1), wall(2027, 1, 1), wall(2037, 1, 1));
  const auto took = std::chrono::steady_clock::now() - begin;
  // 2027..2036 has three leap years: 3650 + 3 days.
  ASSERT_EQ(got.size(), 3653u);
  EXPECT_EQ(date::format("%F %R", got.front()), "2027-01-01 09:00");
  EXPECT_EQ(date::format("%F %R", got.back()), "2036-12-31 09:00");
  EXPECT_LT(took, std::chrono::milliseconds{500});
}

TEST(Expand, LateFromGivesTheSameTailAsAFullExpansion) {
  // Without COUNT the expansion jumps to `from`'s period; the phase must hold.
  const char* rules[] = {
      "FREQ=DAILY;INTERVAL=3;BYHOUR=9",
      "FREQ=DAILY;INTERVAL=5;BYDAY=MO,TU",
      "FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,SU;WKST=SU",
      "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR",
      "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31,-1",
      "FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR",
      "FREQ=YEARLY;INTERVAL=3;BYMONTH=2;BYMONTHDAY=29",
      "FREQ=YEARLY;INTERVAL=2",
  };
  const auto start = day(2027, 3, 3);
  const auto from = wall(2031, 6, 17, 12);
  const auto to = wall(2040, 1, 1);
  for (auto src : rules) {
    const auto r = rrule(src);
    const auto all = expand(r, start, WallTime{start}, to);
    std::vector<WallTime> tail;
    for (auto t : all) {
      if (t >= from) tail.push_back(t);
    }
    EXPECT_FALSE(tail.empty()) << src;
    EXPECT_EQ(expand(r, start, from, to), tail) << src;
  }
}

}  // namespace
}  // namespace herald
