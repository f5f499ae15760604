#include "config/local_time.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace herald {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Test literals built from the calendar alone, independent of the code under test.
Instant utc(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
  return date::sys_days{date::year{y} / date::month{mo} / date::day{d}} + hours{h} + minutes{mi} +
         seconds{s};
}

WallTime wall(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
  return date::local_days{date::year{y} / date::month{mo} / date::day{d}} + hours{h} +
         minutes{mi} + seconds{s};
}

const date::time_zone& zone(const char* name) {
  const date::time_zone* z = find_zone(name);
  if (z == nullptr) throw std::runtime_error(std::string("zone missing from tzdata: ") + name);
  return *z;
}

// ---------------------------------------------------------------------------
// DST transitions of 2027 and 2028, written out by hand from the tz rules.
//
// EU (Amsterdam, London, Dublin): last Sunday of March and of October, 01:00 UTC.
//   2027: Mar 28, Oct 31.  2028: Mar 26, Oct 29.
// US (New York, Los Angeles): second Sunday of March 02:00 standard, first
//   Sunday of November 02:00 daylight.  2027: Mar 14, Nov 7.  2028: Mar 12, Nov 5.
// Sydney: ends first Sunday of April 03:00 AEDT (+11), starts first Sunday of
//   October 02:00 AEST (+10).  2027: Apr 4, Oct 3.  2028: Apr 2, Oct 1.
// Auckland: ends first Sunday of April 03:00 NZDT (+13), starts last Sunday of
//   September 02:00 NZST (+12).  2027: Apr 4, Sep 26.  2028: Apr 2, Sep 24.
// Lord Howe: +10:30 standard, +11 daylight, both changes at 02:00 local wall
//   time (daylight ends 02:00 -> 01:30, starts 02:00 -> 02:30), same Sundays as Sydney.
// Santiago: -04 standard, -03 daylight; ends the first Sunday on or after April
//   2 at 03:00 UTC (Saturday 24:00 -> 23:00), starts the first Sunday on or after
//   September 2 at 04:00 UTC (Sunday 00:00 -> 01:00).
//   2027: Apr 4, Sep 5.  2028: Apr 2, Sep 3.
// ---------------------------------------------------------------------------

struct Transition {
  const char* zone;
  Instant at;          // the UTC instant of the change
  WallFit kind;        // gap (clocks go forward) or repeated (clocks go back)
  minutes shift;       // how far the wall clock jumps
  WallTime begin;      // the wall times [begin, end) are skipped or occur twice
  WallTime end;
  WallTime probe;      // a wall time inside [begin, end)
  Instant probe_utc;   // RFC 5545: gap -> probe - offset before; repeated -> first occurrence
};

constexpr WallFit gap = WallFit::gap;
constexpr WallFit rep = WallFit::repeated;
constexpr minutes h1{60};
constexpr minutes m30{30};

const std::vector<Transition>& transitions() {
  static const std::vector<Transition> table = {
      // Europe/Amsterdam: CET +01 / CEST +02
      {"Europe/Amsterdam", utc(2027, 3, 28, 1, 0), gap, h1, wall(2027, 3, 28, 2, 0),
       wall(2027, 3, 28, 3, 0), wall(2027, 3, 28, 2, 30), utc(2027, 3, 28, 1, 30)},
      {"Europe/Amsterdam", utc(2027, 10, 31, 1, 0), rep, h1, wall(2027, 10, 31, 2, 0),
       wall(2027, 10, 31, 3, 0), wall(2027, 10, 31, 2, 30), utc(2027, 10, 31, 0, 30)},
      {"Europe/Amsterdam", utc(2028, 3, 26, 1, 0), gap, h1, wall(2028, 3, 26, 2, 0),
       wall(2028, 3, 26, 3, 0), wall(2028, 3, 26, 2, 30), utc(2028, 3, 26, 1, 30)},
      {"Europe/Amsterdam", utc(2028, 10, 29, 1, 0), rep, h1, wall(2028, 10, 29, 2, 0),
       wall(2028, 10, 29, 3, 0), wall(2028, 10, 29, 2, 30), utc(2028, 10, 29, 0, 30)},

      // Europe/London: GMT +00 / BST +01
      {"Europe/London", utc(2027, 3, 28, 1, 0), gap, h1, wall(2027, 3, 28, 1, 0),
       wall(2027, 3, 28, 2, 0), wall(2027, 3, 28, 1, 30), utc(2027, 3, 28, 1, 30)},
      {"Europe/London", utc(2027, 10, 31, 1, 0), rep, h1, wall(2027, 10, 31, 1, 0),
       wall(2027, 10, 31, 2, 0), wall(2027, 10, 31, 1, 30), utc(2027, 10, 31, 0, 30)},
      {"Europe/London", utc(2028, 3, 26, 1, 0), gap, h1, wall(2028, 3, 26, 1, 0),
       wall(2028, 3, 26, 2, 0), wall(2028, 3, 26, 1, 30), utc(2028, 3, 26, 1, 30)},
      {"Europe/London", utc(2028, 10, 29, 1, 0), rep, h1, wall(2028, 10, 29, 1, 0),
       wall(2028, 10, 29, 2, 0), wall(2028, 10, 29, 1, 30), utc(2028, 10, 29, 0, 30)},

      // Europe/Dublin: IST +01 is "standard" and GMT a negative DST in tzdata;
      // the wall clock moves exactly as London's.
      {"Europe/Dublin", utc(2027, 3, 28, 1, 0), gap, h1, wall(2027, 3, 28, 1, 0),
       wall(2027, 3, 28, 2, 0), wall(2027, 3, 28, 1, 30), utc(2027, 3, 28, 1, 30)},
      {"Europe/Dublin", utc(2027, 10, 31, 1, 0), rep, h1, wall(2027, 10, 31, 1, 0),
       wall(2027, 10, 31, 2, 0), wall(2027, 10, 31, 1, 30), utc(2027, 10, 31, 0, 30)},
      {"Europe/Dublin", utc(2028, 3, 26, 1, 0), gap, h1, wall(2028, 3, 26, 1, 0),
       wall(2028, 3, 26, 2, 0), wall(2028, 3, 26, 1, 30), utc(2028, 3, 26, 1, 30)},
      {"Europe/Dublin", utc(2028, 10, 29, 1, 0), rep, h1, wall(2028, 10, 29, 1, 0),
       wall(2028, 10, 29, 2, 0), wall(2028, 10, 29, 1, 30), utc(2028, 10, 29, 0, 30)},

      // America/New_York: EST -05 / EDT -04
      {"America/New_York", utc(2027, 3, 14, 7, 0), gap, h1, wall(2027, 3, 14, 2, 0),
       wall(2027, 3, 14, 3, 0), wall(2027, 3, 14, 2, 30), utc(2027, 3, 14, 7, 30)},
      {"America/New_York", utc(2027, 11, 7, 6, 0), rep, h1, wall(2027, 11, 7, 1, 0),
       wall(2027, 11, 7, 2, 0), wall(2027, 11, 7, 1, 30), utc(2027, 11, 7, 5, 30)},
      {"America/New_York", utc(2028, 3, 12, 7, 0), gap, h1, wall(2028, 3, 12, 2, 0),
       wall(2028, 3, 12, 3, 0), wall(2028, 3, 12, 2, 30), utc(2028, 3, 12, 7, 30)},
      {"America/New_York", utc(2028, 11, 5, 6, 0), rep, h1, wall(2028, 11, 5, 1, 0),
       wall(2028, 11, 5, 2, 0), wall(2028, 11, 5, 1, 30), utc(2028, 11, 5, 5, 30)},

      // America/Los_Angeles: PST -08 / PDT -07
      {"America/Los_Angeles", utc(2027, 3, 14, 10, 0), gap, h1, wall(2027, 3, 14, 2, 0),
       wall(2027, 3, 14, 3, 0), wall(2027, 3, 14, 2, 30), utc(2027, 3, 14, 10, 30)},
      {"America/Los_Angeles", utc(2027, 11, 7, 9, 0), rep, h1, wall(2027, 11, 7, 1, 0),
       wall(2027, 11, 7, 2, 0), wall(2027, 11, 7, 1, 30), utc(2027, 11, 7, 8, 30)},
      {"America/Los_Angeles", utc(2028, 3, 12, 10, 0), gap, h1, wall(2028, 3, 12, 2, 0),
       wall(2028, 3, 12, 3, 0), wall(2028, 3, 12, 2, 30), utc(2028, 3, 12, 10, 30)},
      {"America/Los_Angeles", utc(2028, 11, 5, 9, 0), rep, h1, wall(2028, 11, 5, 1, 0),
       wall(2028, 11, 5, 2, 0), wall(2028, 11, 5, 1, 30), utc(2028, 11, 5, 8, 30)},

      // Australia/Sydney: AEST +10 / AEDT +11 (changes fall on the previous UTC day)
      {"Australia/Sydney", utc(2027, 4, 3, 16, 0), rep, h1, wall(2027, 4, 4, 2, 0),
       wall(2027, 4, 4, 3, 0), wall(2027, 4, 4, 2, 30), utc(2027, 4, 3, 15, 30)},
      {"Australia/Sydney", utc(2027, 10, 2, 16, 0), gap, h1, wall(2027, 10, 3, 2, 0),
       wall(2027, 10, 3, 3, 0), wall(2027, 10, 3, 2, 30), utc(2027, 10, 2, 16, 30)},
      {"Australia/Sydney", utc(2028, 4, 1, 16, 0), rep, h1, wall(2028, 4, 2, 2, 0),
       wall(2028, 4, 2, 3, 0), wall(2028, 4, 2, 2, 30), utc(2028, 4, 1, 15, 30)},
      {"Australia/Sydney", utc(2028, 9, 30, 16, 0), gap, h1, wall(2028, 10, 1, 2, 0),
       wall(2028, 10, 1, 3, 0), wall(2028, 10, 1, 2, 30), utc(2028, 9, 30, 16, 30)},

      // Pacific/Auckland: NZST +12 / NZDT +13
      {"Pacific/Auckland", utc(2027, 4, 3, 14, 0), rep, h1, wall(2027, 4, 4, 2, 0),
       wall(2027, 4, 4, 3, 0), wall(2027, 4, 4, 2, 30), utc(2027, 4, 3, 13, 30)},
      {"Pacific/Auckland", utc(2027, 9, 25, 14, 0), gap, h1, wall(2027, 9, 26, 2, 0),
       wall(2027, 9, 26, 3, 0), wall(2027, 9, 26, 2, 30), utc(2027, 9, 25, 14, 30)},
      {"Pacific/Auckland", utc(2028, 4, 1, 14, 0), rep, h1, wall(2028, 4, 2, 2, 0),
       wall(2028, 4, 2, 3, 0), wall(2028, 4, 2, 2, 30), utc(2028, 4, 1, 13, 30)},
      {"Pacific/Auckland", utc(2028, 9, 23, 14, 0), gap, h1, wall(2028, 9, 24, 2, 0),
       wall(2028, 9, 24, 3, 0), wall(2028, 9, 24, 2, 30), utc(2028, 9, 23, 14, 30)},

      // Australia/Lord_Howe: +10:30 / +11, a 30-minute shift
      {"Australia/Lord_Howe", utc(2027, 4, 3, 15, 0), rep, m30, wall(2027, 4, 4, 1, 30),
       wall(2027, 4, 4, 2, 0), wall(2027, 4, 4, 1, 45), utc(2027, 4, 3, 14, 45)},
      {"Australia/Lord_Howe", utc(2027, 10, 2, 15, 30), gap, m30, wall(2027, 10, 3, 2, 0),
       wall(2027, 10, 3, 2, 30), wall(2027, 10, 3, 2, 15), utc(2027, 10, 2, 15, 45)},
      {"Australia/Lord_Howe", utc(2028, 4, 1, 15, 0), rep, m30, wall(2028, 4, 2, 1, 30),
       wall(2028, 4, 2, 2, 0), wall(2028, 4, 2, 1, 45), utc(2028, 4, 1, 14, 45)},
      {"Australia/Lord_Howe", utc(2028, 9, 30, 15, 30), gap, m30, wall(2028, 10, 1, 2, 0),
       wall(2028, 10, 1, 2, 30), wall(2028, 10, 1, 2, 15), utc(2028, 9, 30, 15, 45)},

      // America/Santiago: -04 / -03, changes at local midnight (the repeated
      // hour is the last of Saturday, the gap the first of Sunday)
      {"America/Santiago", utc(2027, 4, 4, 3, 0), rep, h1, wall(2027, 4, 3, 23, 0),
       wall(2027, 4, 4, 0, 0), wall(2027, 4, 3, 23, 30), utc(2027, 4, 4, 2, 30)},
      {"America/Santiago", utc(2027, 9, 5, 4, 0), gap, h1, wall(2027, 9, 5, 0, 0),
       wall(2027, 9, 5, 1, 0), wall(2027, 9, 5, 0, 30), utc(2027, 9, 5, 4, 30)},
      {"America/Santiago", utc(2028, 4, 2, 3, 0), rep, h1, wall(2028, 4, 1, 23, 0),
       wall(2028, 4, 2, 0, 0), wall(2028, 4, 1, 23, 30), utc(2028, 4, 2, 2, 30)},
      {"America/Santiago", utc(2028, 9, 3, 4, 0), gap, h1, wall(2028, 9, 3, 0, 0),
       wall(2028, 9, 3, 1, 0), wall(2028, 9, 3, 0, 30), utc(2028, 9, 3, 4, 30)},
  };
  return table;
}

std::string describe(const Transition& t) {
  return std::string(t.zone) + " at " + format_utc(t.at);
}

TEST(ResolveDst, TableCoversAtLeastEightZones) {
  std::set<std::string> zones;
  for (const auto& t : transitions()) zones.insert(t.zone);
  EXPECT_GE(zones.size(), 8u);
  for (const auto& name : zones) EXPECT_NE(find_zone(name), nullptr) << name;
}

TEST(ResolveDst, TableRowsAreSelfConsistent) {
  for (const auto& t : transitions()) {
    SCOPED_TRACE(describe(t));
    EXPECT_EQ(t.end - t.begin, t.shift);
    EXPECT_GE(t.probe, t.begin);
    EXPECT_LT(t.probe, t.end);
  }
}

TEST(ResolveDst, WallTimeInsideGapOrRepeatedRange) {
  for (const auto& t : transitions()) {
    SCOPED_TRACE(describe(t));
    const Resolved r = resolve(zone(t.zone), t.probe);
    EXPECT_EQ(format_utc(r.instant), format_utc(t.probe_utc));
    EXPECT_EQ(r.fit, t.kind);
    if (t.kind == WallFit::gap) {
      EXPECT_EQ(r.shift, t.shift);
      // The gap rule: the time reads `shift` later on the wall clock.
      EXPECT_EQ(to_wall(zone(t.zone), r.instant), t.probe + t.shift);
    } else {
      EXPECT_EQ(r.shift, seconds{0});
      // First occurrence; the second one is `shift` later and reads the same.
      EXPECT_EQ(to_wall(zone(t.zone), r.instant), t.probe);
      EXPECT_EQ(to_wall(zone(t.zone), r.instant + t.shift), t.probe);
      EXPECT_LT(r.instant, t.at);
    }
  }
}

TEST(ResolveDst, EdgesOfGapOrRepeatedRangeAreExact) {
  for (const auto& t : transitions()) {
    SCOPED_TRACE(describe(t));
    const date::time_zone& z = zone(t.zone);
    const Resolved before = resolve(z, t.begin - seconds{1});
    const Resolved after = resolve(z, t.end);
    EXPECT_EQ(before.fit, WallFit::exact);
    EXPECT_EQ(after.fit, WallFit::exact);
    EXPECT_EQ(before.shift, seconds{0});
    EXPECT_EQ(after.shift, seconds{0});
    if (t.kind == WallFit::gap) {
      // The wall clock jumps from begin - 1s straight to end.
      EXPECT_EQ(before.instant, t.at - seconds{1});
      EXPECT_EQ(after.instant, t.at);
      EXPECT_EQ(resolve(z, t.begin).fit, WallFit::gap);
      EXPECT_EQ(resolve(z, t.end - seconds{1}).fit, WallFit::gap);
    } else {
      // begin - 1s comes once, before the first pass; end comes once, after the second.
      EXPECT_EQ(before.instant, t.at - t.shift - seconds{1});
      EXPECT_EQ(after.instant, t.at + t.shift);
      EXPECT_EQ(resolve(z, t.begin).fit, WallFit::repeated);
      EXPECT_EQ(resolve(z, t.begin).instant, t.at - t.shift);
      EXPECT_EQ(resolve(z, t.end - seconds{1}).fit, WallFit::repeated);
      EXPECT_EQ(resolve(z, t.end - seconds{1}).instant, t.at - seconds{1});
    }
  }
}

// Every offset change the tz database itself reports for 2027-2028 must be in
// the table, so a transition missing from the table (or a rule change in
// tzdata) fails here instead of going untested.
TEST(ResolveDst, TableCoversEveryTransitionInTzdata) {
  std::map<std::string, std::vector<const Transition*>> by_zone;
  for (const auto& t : transitions()) by_zone[t.zone].push_back(&t);

  const Instant start = utc(2027, 1, 1, 0, 0);
  const Instant stop = utc(2029, 1, 1, 0, 0);
  for (const auto& [name, rows] : by_zone) {
    SCOPED_TRACE(name);
    const date::time_zone& z = zone(name.c_str());
    std::vector<Instant> from_tzdata;
    date::sys_info info = z.get_info(start);
    while (info.end < stop) {
      const date::sys_info next = z.get_info(info.end);
      // Some periods differ only in abbreviation or in the DST flag; only
      // offset changes move the wall clock.
      if (next.offset != info.offset) {
        from_tzdata.push_back(info.end);
        const Transition* row = nullptr;
        for (const Transition* t : rows) {
          if (t->at == info.end) row = t;
        }
        if (row == nullptr) {
          ADD_FAILURE() << "tzdata transition at " << format_utc(info.end) << " not in the table";
          info = next;
          continue;
        }
        const seconds delta = next.offset - info.offset;
        EXPECT_EQ(row->kind, delta > seconds{0} ? WallFit::gap : WallFit::repeated);
        EXPECT_EQ(row->shift, delta > seconds{0} ? delta : -delta);
      }
      info = next;
    }
    EXPECT_EQ(from_tzdata.size(), rows.size()) << "the table and tzdata disagree on the number of transitions";
    EXPECT_EQ(from_tzdata.size(), 4u) << "two changes a year";
  }
}

// Between the transitions every wall time is exact; across two years, at a
// 15-minute step, resolving and reading the wall clock back agrees with the
// gap and repeated rules.
TEST(ResolveDst, RoundTripsEveryQuarterHourOfTwoYears) {
  std::set<std::string> zones;
  for (const auto& t : transitions()) zones.insert(t.zone);
  for (const auto& name : zones) {
    SCOPED_TRACE(name);
    const date::time_zone& z = zone(name.c_str());
    int gaps = 0;
    int repeats = 0;
    for (WallTime w = wall(2027, 1, 1, 0, 0); w < wall(2029, 1, 1, 0, 0); w += minutes{15}) {
      const Resolved r = resolve(z, w);
      switch (r.fit) {
        case WallFit::exact:
          ASSERT_EQ(to_wall(z, r.instant), w) << date::format("%F %T", w);
          break;
        case WallFit::gap:
          ++gaps;
          ASSERT_EQ(to_wall(z, r.instant), w + r.shift) << date::format("%F %T", w);
          break;
        case WallFit::repeated:
          ++repeats;
          ASSERT_EQ(to_wall(z, r.instant), w) << date::format("%F %T", w);
          // The first pass: the wall clock reads w again one shift (30 or 60 min) later.
          ASSERT_TRUE(to_wall(z, r.instant + minutes{30}) == w ||
                      to_wall(z, r.instant + minutes{60}) == w)
              << date::format("%F %T", w);
          break;
      }
    }
    EXPECT_GT(gaps, 0);
    EXPECT_GT(repeats, 0);
  }
}

TEST(Resolve, OrdinaryTimesUseTheSeasonsOffset) {
  const auto& ams = zone("Europe/Amsterdam");
  EXPECT_EQ(resolve(ams, wall(2027, 3, 2, 10, 0)).instant, utc(2027, 3, 2, 9, 0));
  EXPECT_EQ(resolve(ams, wall(2027, 7, 1, 10, 0)).instant, utc(2027, 7, 1, 8, 0));
  EXPECT_EQ(resolve(ams, wall(2027, 7, 1, 10, 0)).fit, WallFit::exact);
  const auto& utc_zone = zone("UTC");
  EXPECT_EQ(resolve(utc_zone, wall(2027, 3, 28, 2, 30)).instant, utc(2027, 3, 28, 2, 30));
  EXPECT_EQ(resolve(utc_zone, wall(2027, 3, 28, 2, 30)).fit, WallFit::exact);
}

TEST(ToWall, ConvertsInstantsToTheZonesClock) {
  EXPECT_EQ(to_wall(zone("Europe/Amsterdam"), utc(2027, 3, 2, 9, 0)), wall(2027, 3, 2, 10, 0));
  EXPECT_EQ(to_wall(zone("America/New_York"), utc(2027, 3, 2, 3, 0)), wall(2027, 3, 1, 22, 0));
  EXPECT_EQ(to_wall(zone("Australia/Lord_Howe"), utc(2027, 7, 1, 0, 0)),
            wall(2027, 7, 1, 10, 30));
}

// ---------------------------------------------------------------------------
// parse_timestamp

struct Parsed {
  const char* text;
  bool is_wall;
  WallTime wall_time;   // when is_wall
  Instant instant;      // otherwise
};

TEST(ParseTimestamp, AcceptsEveryForm) {
  const Parsed cases[] = {
      {"2027-03-02 10:00", true, wall(2027, 3, 2, 10, 0), {}},
      {"2027-03-02T10:00", true, wall(2027, 3, 2, 10, 0), {}},
      {"2027-03-02 10:00:30", true, wall(2027, 3, 2, 10, 0, 30), {}},
      {"2027-03-02T10:00:30", true, wall(2027, 3, 2, 10, 0, 30), {}},
      {"2027-01-01 00:00", true, wall(2027, 1, 1, 0, 0), {}},
      {"2027-12-31T23:59:59", true, wall(2027, 12, 31, 23, 59, 59), {}},
      {"2028-02-29 12:00", true, wall(2028, 2, 29, 12, 0), {}},       // leap day
      {"2000-02-29 12:00", true, wall(2000, 2, 29, 12, 0), {}},       // divisible by 400
      {"2027-03-28 02:30", true, wall(2027, 3, 28, 2, 30), {}},       // nonexistent in EU zones: still a wall time
      {"2027-03-02T10:00:00Z", false, {}, utc(2027, 3, 2, 10, 0)},
      {"2027-03-02T10:00Z", false, {}, utc(2027, 3, 2, 10, 0)},
      {"2027-03-02T10:00:00z", false, {}, utc(2027, 3, 2, 10, 0)},
      {"2027-03-02 10:00Z", false, {}, utc(2027, 3, 2, 10, 0)},
      {"2027-03-02T10:00:00+01:00", false, {}, utc(2027, 3, 2, 9, 0)},
      {"2027-03-02T10:00+01:00", false, {}, utc(2027, 3, 2, 9, 0)},
      {"2027-03-02 10:00:00+01:00", false, {}, utc(2027, 3, 2, 9, 0)},
      {"2027-03-02T10:00:00-05:30", false, {}, utc(2027, 3, 2, 15, 30)},
      {"2027-03-02T10:00:00+00:00", false, {}, utc(2027, 3, 2, 10, 0)},
      {"2027-03-02T10:00:00-00:00", false, {}, utc(2027, 3, 2, 10, 0)},
      {"2027-03-02T10:00:00+18:00", false, {}, utc(2027, 3, 1, 16, 0)},
      {"2027-03-02T10:00:00-18:00", false, {}, utc(2027, 3, 3, 4, 0)},
      {"2027-01-01T00:30:00+01:00", false, {}, utc(2026, 12, 31, 23, 30)},
      {"2027-12-31T23:59:59-00:01", false, {}, utc(2028, 1, 1, 0, 0, 59)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    std::string error;
    const auto parsed = parse_timestamp(c.text, error);
    ASSERT_TRUE(parsed.has_value()) << error;
    EXPECT_TRUE(error.empty()) << error;
    if (c.is_wall) {
      ASSERT_TRUE(std::holds_alternative<WallTime>(*parsed));
      EXPECT_EQ(std::get<WallTime>(*parsed), c.wall_time);
    } else {
      ASSERT_TRUE(std::holds_alternative<Instant>(*parsed));
      EXPECT_EQ(format_utc(std::get<Instant>(*parsed)), format_utc(c.instant));
    }
  }
}

struct Rejected {
  const char* text;
  const char* reason;   // a fragment the error message must contain
};

TEST(ParseTimestamp, RejectsImpossibleAndMalformedTimes) {
  const Rejected cases[] = {
      // impossible dates
      {"2027-02-30 10:00", "no such date 2027-02-30"},
      {"2027-02-29 10:00", "no such date"},      // 2027 is not a leap year
      {"2100-02-29 10:00", "no such date"},      // divisible by 100, not by 400
      {"2027-04-31 10:00", "no such date"},
      {"2027-13-01 10:00", "no such date"},
      {"2027-00-10 10:00", "no such date"},
      {"2027-01-00 10:00", "no such date"},
      {"2027-01-32 10:00", "no such date"},
      // impossible times
      {"2027-03-02 24:00", "hour"},
      {"2027-03-02 25:00", "hour"},
      {"2027-03-02 12:60", "minute"},
      {"2027-03-02 12:99", "minute"},
      {"2027-03-02 12:00:60", "second"},         // no leap seconds
      // offsets
      {"2027-03-02T10:00:00+18:01", "18:00"},
      {"2027-03-02T10:00:00-19:00", "18:00"},
      {"2027-03-02T10:00:00+99:00", "18:00"},
      {"2027-03-02T10:00:00+01:60", "offset"},
      {"2027-03-02T10:00:00+01", "offset"},
      {"2027-03-02T10:00:00+0100", "offset"},
      {"2027-03-02T10:00:00+1:00", "offset"},
      {"2027-03-02T10:00:00+", "offset"},
      // malformed
      {"", "date"},
      {"garbage", "date"},
      {"2027-03-02", "time"},
      {"2027-03-02T", "time"},
      {"2027-03-02 10", "time"},
      {"2027-03-02 10:0", "time"},
      {"2027-03-02 1:00", "time"},
      {"2027-3-02 10:00", "date"},
      {"2027-03-2 10:00", "date"},
      {"27-03-02 10:00", "date"},
      {"02027-03-02 10:00", "date"},
      {"2027/03/02 10:00", "date"},
      {" 2027-03-02 10:00", "date"},
      {"2027-03-02  10:00", "time"},
      {"2027-03-02t10:00", "after the date"},
      {"2027-03-02_10:00", "after the date"},
      {"2027-03-02 10:00:", "seconds"},
      {"2027-03-02 10:00:0", "seconds"},
      // trailing garbage
      {"2027-03-02 10:00 ", "unexpected"},
      {"2027-03-02 10:00 garbage", "unexpected"},
      {"2027-03-02 10:00am", "unexpected"},
      {"2027-03-02T10:00:00.5Z", "unexpected"},   // no fractional seconds
      {"2027-03-02T10:00:00 Z", "unexpected"},
      {"2027-03-02T10:00:00ZZ", "unexpected"},
      {"2027-03-02T10:00:00Z ", "unexpected"},
      {"2027-03-02T10:00:00+01:00 ", "unexpected"},
      {"2027-03-02T10:00:00+01:00[Europe/Paris]", "unexpected"},
      {"2027-03-02T10:00:00:00", "unexpected"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string("'") + c.text + "'");
    std::string error;
    EXPECT_FALSE(parse_timestamp(c.text, error).has_value());
    EXPECT_NE(error.find(c.reason), std::string::npos) << "error was: " << error;
  }
}

TEST(ParseDate, AcceptsValidDatesOnly) {
  std::string error;
  EXPECT_EQ(parse_date("2027-03-02", error), date::local_days{date::year{2027} / 3 / 2});
  EXPECT_EQ(parse_date("2028-02-29", error), date::local_days{date::year{2028} / 2 / 29});
  EXPECT_EQ(parse_date("2027-12-31", error), date::local_days{date::year{2027} / 12 / 31});
  EXPECT_TRUE(error.empty()) << error;

  for (const char* text : {"2027-02-29", "2027-02-30", "2027-13-01", "2027-00-01", "2027-01-00"}) {
    error.clear();
    EXPECT_FALSE(parse_date(text, error).has_value()) << text;
    EXPECT_NE(error.find("no such date"), std::string::npos) << text << ": " << error;
  }
  for (const char* text : {"", "2027-3-02", "2027-03-2", "27-03-02", "2027/03/02", " 2027-03-02",
                           "2027-03-02 ", "2027-03-02T10:00", "2027-03-02x"}) {
    error.clear();
    EXPECT_FALSE(parse_date(text, error).has_value()) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
}

TEST(ParseTimeOfDay, AcceptsHhMmFromMidnightToOneMinuteBefore) {
  EXPECT_EQ(parse_time_of_day("00:00"), minutes{0});
  EXPECT_EQ(parse_time_of_day("09:15"), minutes{9 * 60 + 15});
  EXPECT_EQ(parse_time_of_day("12:00"), minutes{12 * 60});
  EXPECT_EQ(parse_time_of_day("23:59"), minutes{23 * 60 + 59});
  EXPECT_EQ(parse_time_of_day("9:15"), minutes{9 * 60 + 15});  // as every: accepts
  for (const char* text : {"", "24:00", "23:60", "12:99", "9:5", "09:5", "24:0", "0915", "09:15:00",
                           " 09:15", "09:15 ", "09.15", "ab:cd", "-1:00", "09:15Z"}) {
    EXPECT_FALSE(parse_time_of_day(text).has_value()) << "'" << text << "'";
  }
}

TEST(FindZone, KnownAndUnknownNames) {
  const date::time_zone* ams = find_zone("Europe/Amsterdam");
  ASSERT_NE(ams, nullptr);
  EXPECT_EQ(ams->name(), "Europe/Amsterdam");
  EXPECT_NE(find_zone("UTC"), nullptr);
  EXPECT_NE(find_zone("Etc/UTC"), nullptr);
  EXPECT_NE(find_zone("Australia/Lord_Howe"), nullptr);
  EXPECT_EQ(find_zone(""), nullptr);
  EXPECT_EQ(find_zone("Nowhere/City"), nullptr);
  EXPECT_EQ(find_zone("Europe/"), nullptr);
  EXPECT_EQ(find_zone("../../etc/passwd"), nullptr);
  EXPECT_EQ(find_zone("Europe/Amsterdam "), nullptr);
}

TEST(FormatTimes, UtcLocalAndDate) {
  EXPECT_EQ(format_utc(utc(2027, 3, 2, 9, 0)), "2027-03-02T09:00:00Z");
  EXPECT_EQ(format_utc(utc(2028, 12, 31, 23, 59, 59)), "2028-12-31T23:59:59Z");

  EXPECT_EQ(format_local(zone("Europe/Amsterdam"), utc(2027, 3, 2, 9, 0)),
            "2027-03-02T10:00:00+01:00");
  EXPECT_EQ(format_local(zone("Europe/Amsterdam"), utc(2027, 7, 1, 8, 0)),
            "2027-07-01T10:00:00+02:00");
  EXPECT_EQ(format_local(zone("America/New_York"), utc(2027, 3, 2, 3, 0)),
            "2027-03-01T22:00:00-05:00");
  EXPECT_EQ(format_local(zone("Australia/Lord_Howe"), utc(2027, 7, 1, 0, 0)),
            "2027-07-01T10:30:00+10:30");
  EXPECT_EQ(format_local(zone("America/St_Johns"), utc(2027, 1, 15, 12, 0)),
            "2027-01-15T08:30:00-03:30");
  EXPECT_EQ(format_local(zone("UTC"), utc(2027, 1, 15, 12, 0)), "2027-01-15T12:00:00+00:00");
  // The two passes through a repeated hour read the same but carry different offsets.
  EXPECT_EQ(format_local(zone("Europe/Amsterdam"), utc(2027, 10, 31, 0, 30)),
            "2027-10-31T02:30:00+02:00");
  EXPECT_EQ(format_local(zone("Europe/Amsterdam"), utc(2027, 10, 31, 1, 30)),
            "2027-10-31T02:30:00+01:00");

  EXPECT_EQ(format_date(date::local_days{date::year{2027} / 3 / 2}), "2027-03-02");
  EXPECT_EQ(format_date(date::local_days{date::year{2028} / 2 / 29}), "2028-02-29");
}

TEST(FormatTimes, ParseReadsBackWhatFormatWrites) {
  const auto& z = zone("America/St_Johns");
  for (const Instant at : {utc(2027, 1, 15, 12, 0), utc(2027, 7, 1, 3, 4, 5)}) {
    std::string error;
    const auto from_utc = parse_timestamp(format_utc(at), error);
    const auto from_local = parse_timestamp(format_local(z, at), error);
    ASSERT_TRUE(from_utc && from_local) << error;
    EXPECT_EQ(std::get<Instant>(*from_utc), at);
    EXPECT_EQ(std::get<Instant>(*from_local), at);
  }
}

}  // namespace
}  // namespace herald
