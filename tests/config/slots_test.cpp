#include "config/slots.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald {
namespace {

using date::Friday;
using date::Monday;
using date::Saturday;
using date::Sunday;
using date::Thursday;
using date::Tuesday;
using date::Wednesday;
using std::chrono::hours;
using std::chrono::minutes;

Instant utc(int y, unsigned mo, unsigned d, int h, int mi) {
  return date::sys_days{date::year{y} / date::month{mo} / date::day{d}} + hours{h} + minutes{mi};
}

WallTime wall(int y, unsigned mo, unsigned d, int h, int mi) {
  return date::local_days{date::year{y} / date::month{mo} / date::day{d}} + hours{h} +
         minutes{mi};
}

const date::time_zone& zone(const char* name) {
  const date::time_zone* z = find_zone(name);
  if (z == nullptr) throw std::runtime_error(std::string("zone missing from tzdata: ") + name);
  return *z;
}

std::bitset<7> days(std::initializer_list<date::weekday> list) {
  std::bitset<7> out;
  for (const auto d : list) out.set(d.c_encoding());
  return out;
}

Slot slot(const char* text) {
  std::string error;
  const auto parsed = parse_slot(text, error);
  if (!parsed) throw std::runtime_error(std::string("bad slot in test: ") + text + ": " + error);
  return *parsed;
}

std::vector<std::string> as_utc(const std::vector<Instant>& instants) {
  std::vector<std::string> out;
  for (const auto at : instants) out.push_back(format_utc(at));
  return out;
}

using Strings = std::vector<std::string>;

// ---------------------------------------------------------------------------
// parse_weekday

TEST(ParseWeekday, AcceptsNamesAndPrefixesOfThreeOrMoreLetters) {
  const std::pair<const char*, date::weekday> cases[] = {
      {"sun", Sunday},     {"mon", Monday},       {"tue", Tuesday},   {"wed", Wednesday},
      {"thu", Thursday},   {"fri", Friday},       {"sat", Saturday},  {"sunday", Sunday},
      {"monday", Monday},  {"tuesday", Tuesday},  {"wednesday", Wednesday},
      {"thursday", Thursday}, {"friday", Friday}, {"saturday", Saturday},
      {"tues", Tuesday},   {"thur", Thursday},    {"thurs", Thursday}, {"wedn", Wednesday},
      {"Mon", Monday},     {"MONDAY", Monday},    {"fRiDaY", Friday},  {"SAT", Saturday},
  };
  for (const auto& [text, expected] : cases) {
    const auto parsed = parse_weekday(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_EQ(*parsed, expected) << text;
  }
}

TEST(ParseWeekday, RejectsEverythingElse) {
  for (const char* text : {"", "m", "mo", "tu", "su", "mondays", "mun", "xyz", "mon ", " mon",
                           "monday1", "mon.", "daily", "weekday", "lundi", "tuesdays"}) {
    EXPECT_FALSE(parse_weekday(text).has_value()) << "'" << text << "'";
  }
}

// ---------------------------------------------------------------------------
// parse_slot

struct AcceptedSlot {
  const char* text;
  std::bitset<7> days;
  minutes time;
};

TEST(ParseSlot, AcceptsEveryForm) {
  const auto all = days({Sunday, Monday, Tuesday, Wednesday, Thursday, Friday, Saturday});
  const auto workweek = days({Monday, Tuesday, Wednesday, Thursday, Friday});
  const AcceptedSlot cases[] = {
      {"mon-fri 09:15", workweek, minutes{9 * 60 + 15}},
      {"mon-fri 9:15", workweek, minutes{9 * 60 + 15}},  // as every: accepts
      {"sat,sun 11:00", days({Saturday, Sunday}), minutes{11 * 60}},
      {"daily 08:00", all, minutes{8 * 60}},
      {"Daily 08:00", all, minutes{8 * 60}},
      {"DAILY 00:00", all, minutes{0}},
      {"mon 23:59", days({Monday}), minutes{23 * 60 + 59}},
      {"Monday-Friday 09:15", workweek, minutes{9 * 60 + 15}},
      {"MON-FRI 09:15", workweek, minutes{9 * 60 + 15}},
      {"tues-thurs 12:00", days({Tuesday, Wednesday, Thursday}), minutes{12 * 60}},
      {"fri-mon 10:00", days({Friday, Saturday, Sunday, Monday}), minutes{10 * 60}},  // wraps
      {"sat-sun 10:00", days({Saturday, Sunday}), minutes{10 * 60}},
      {"sun-sat 10:00", all, minutes{10 * 60}},
      {"mon-sun 10:00", all, minutes{10 * 60}},
      {"tue-mon 10:00", all, minutes{10 * 60}},
      {"mon,wed,fri 07:30", days({Monday, Wednesday, Friday}), minutes{7 * 60 + 30}},
      {"mon-wed,fri 07:30", days({Monday, Tuesday, Wednesday, Friday}), minutes{7 * 60 + 30}},
      {"sat-sun,wed 07:30", days({Saturday, Sunday, Wednesday}), minutes{7 * 60 + 30}},
      {"mon,mon 07:30", days({Monday}), minutes{7 * 60 + 30}},                 // a set
      {"mon-fri,wed 07:30", workweek, minutes{7 * 60 + 30}},
      {"  mon-fri   09:15  ", workweek, minutes{9 * 60 + 15}},                // spacing
      {"mon-fri\t09:15", workweek, minutes{9 * 60 + 15}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    std::string error;
    const auto parsed = parse_slot(c.text, error);
    ASSERT_TRUE(parsed.has_value()) << error;
    EXPECT_EQ(parsed->days, c.days);
    EXPECT_EQ(parsed->time_of_day, c.time);
  }
}

struct RejectedSlot {
  const char* text;
  const char* reason;
};

TEST(ParseSlot, RejectsEverythingElse) {
  const RejectedSlot cases[] = {
      {"", "DAYS HH:MM"},
      {"   ", "DAYS HH:MM"},
      {"09:15", "DAYS HH:MM"},
      {"mon", "DAYS HH:MM"},
      {"mon-fri", "DAYS HH:MM"},
      {"mon 09:15 extra", "DAYS HH:MM"},
      {"mon-fri09:15", "DAYS HH:MM"},
      {"mon, tue 09:15", "DAYS HH:MM"},
      {"xyz 09:15", "unknown weekday 'xyz'"},
      {"mo 09:15", "unknown weekday 'mo'"},
      {"weekdays 09:15", "unknown weekday"},
      {"mon-xyz 09:15", "unknown weekday 'xyz'"},
      {"mon- 09:15", "unknown weekday ''"},
      {"-fri 09:15", "unknown weekday ''"},
      {"mon-fri-sat 09:15", "unknown weekday 'fri-sat'"},
      {"mon;tue 09:15", "unknown weekday"},
      {"daily,mon 09:15", "unknown weekday 'daily'"},
      {"mon-daily 09:15", "unknown weekday 'daily'"},
      {"mon,,tue 09:15", "empty day"},
      {"mon, 09:15", "empty day"},
      {",mon 09:15", "empty day"},
      {"mon-mon 09:15", "same day"},
      {"Fri-fri 09:15", "same day"},
      {"mon 24:00", "invalid time '24:00'"},
      {"mon 09:60", "invalid time"},
      {"mon 09:15:00", "invalid time"},
      {"mon 0915", "invalid time"},
      {"mon 09:15Z", "invalid time"},
      {"mon noon", "invalid time"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string("'") + c.text + "'");
    std::string error;
    EXPECT_FALSE(parse_slot(c.text, error).has_value());
    EXPECT_NE(error.find(c.reason), std::string::npos) << "error was: " << error;
  }
}

// ---------------------------------------------------------------------------
// slot_instants

TEST(SlotInstants, WorkweekSlotInAnOrdinaryWeek) {
  // 2027-03-01 is a Monday; Amsterdam is on CET (+01:00).
  const auto got = slot_instants({slot("mon-fri 09:15")}, zone("Europe/Amsterdam"),
                                 utc(2027, 3, 1, 0, 0), utc(2027, 3, 8, 0, 0));
  EXPECT_EQ(as_utc(got), (Strings{"2027-03-01T08:15:00Z", "2027-03-02T08:15:00Z",
                                  "2027-03-03T08:15:00Z", "2027-03-04T08:15:00Z",
                                  "2027-03-05T08:15:00Z"}));
}

TEST(SlotInstants, StayAtTheSameWallTimeAcrossSpringForward) {
  // Amsterdam moves to CEST on Sunday 2027-03-28: 09:15 local is 08:15Z before, 07:15Z after.
  const auto& ams = zone("Europe/Amsterdam");
  const auto got =
      slot_instants({slot("daily 09:15")}, ams, utc(2027, 3, 26, 0, 0), utc(2027, 3, 31, 0, 0));
  EXPECT_EQ(as_utc(got), (Strings{"2027-03-26T08:15:00Z", "2027-03-27T08:15:00Z",
                                  "2027-03-28T07:15:00Z", "2027-03-29T07:15:00Z",
                                  "2027-03-30T07:15:00Z"}));
  for (const auto at : got) {
    EXPECT_EQ(date::floor<minutes>(to_wall(ams, at) - date::floor<date::days>(to_wall(ams, at))),
              minutes{9 * 60 + 15});
  }
}

TEST(SlotInstants, StayAtTheSameWallTimeAcrossFallBack) {
  // New York returns to EST on Sunday 2027-11-07: 09:15 local is 13:15Z before, 14:15Z after.
  const auto got = slot_instants({slot("fri-mon 09:15")}, zone("America/New_York"),
                                 utc(2027, 11, 5, 0, 0), utc(2027, 11, 9, 0, 0));
  EXPECT_EQ(as_utc(got), (Strings{"2027-11-05T13:15:00Z", "2027-11-06T13:15:00Z",
                                  "2027-11-07T14:15:00Z", "2027-11-08T14:15:00Z"}));
}

TEST(SlotInstants, SlotInsideTheSpringForwardGapMovesForwardByTheGap) {
  // 02:30 does not exist in Amsterdam on 2027-03-28; it becomes 03:30 CEST = 01:30Z.
  const auto& ams = zone("Europe/Amsterdam");
  const auto got =
      slot_instants({slot("daily 02:30")}, ams, utc(2027, 3, 27, 0, 0), utc(2027, 3, 30, 0, 0));
  EXPECT_EQ(as_utc(got), (Strings{"2027-03-27T01:30:00Z", "2027-03-28T01:30:00Z",
                                  "2027-03-29T00:30:00Z"}));
  EXPECT_EQ(to_wall(ams, got[1]), wall(2027, 3, 28, 3, 30));
}

TEST(SlotInstants, SlotInsideTheRepeatedHourIsTakenOnce) {
  // 02:30 occurs twice in Amsterdam on 2027-10-31 (00:30Z and 01:30Z); only the first counts.
  const auto got = slot_instants({slot("daily 02:30")}, zone("Europe/Amsterdam"),
                                 utc(2027, 10, 30, 0, 0), utc(2027, 11, 2, 0, 0));
  EXPECT_EQ(as_utc(got), (Strings{"2027-10-30T00:30:00Z", "2027-10-31T00:30:00Z",
                                  "2027-11-01T01:30:00Z"}));
}

TEST(SlotInstants, SlotsThatLandOnTheSameInstantAppearOnce) {
  const auto& ams = zone("Europe/Amsterdam");
  // Overlapping day sets at the same time.
  EXPECT_EQ(as_utc(slot_instants({slot("mon 09:00"), slot("mon-fri 09:00")}, ams,
                                 utc(2027, 3, 1, 0, 0), utc(2027, 3, 3, 0, 0))),
            (Strings{"2027-03-01T08:00:00Z", "2027-03-02T08:00:00Z"}));
  // 02:30 in the gap moves to 03:30, the same instant as the 03:30 slot.
  EXPECT_EQ(as_utc(slot_instants({slot("sun 02:30"), slot("sun 03:30")}, ams,
                                 utc(2027, 3, 28, 0, 0), utc(2027, 3, 29, 0, 0))),
            (Strings{"2027-03-28T01:30:00Z"}));
}

TEST(SlotInstants, SeveralSlotsComeOutInOrder) {
  const auto got = slot_instants({slot("daily 18:00"), slot("mon-fri 08:00"), slot("sat 12:00")},
                                 zone("UTC"), utc(2027, 3, 5, 0, 0), utc(2027, 3, 8, 0, 0));
  // 2027-03-05 is a Friday.
  EXPECT_EQ(as_utc(got), (Strings{"2027-03-05T08:00:00Z", "2027-03-05T18:00:00Z",
                                  "2027-03-06T12:00:00Z", "2027-03-06T18:00:00Z",
                                  "2027-03-07T18:00:00Z"}));
}

TEST(SlotInstants, RangeIsHalfOpen) {
  const auto& utc_zone = zone("UTC");
  const std::vector<Slot> daily{slot("daily 09:00")};
  EXPECT_EQ(as_utc(slot_instants(daily, utc_zone, utc(2027, 3, 1, 9, 0), utc(2027, 3, 3, 9, 0))),
            (Strings{"2027-03-01T09:00:00Z", "2027-03-02T09:00:00Z"}));
  EXPECT_EQ(as_utc(slot_instants(daily, utc_zone, utc(2027, 3, 1, 9, 1), utc(2027, 3, 3, 9, 1))),
            (Strings{"2027-03-02T09:00:00Z", "2027-03-03T09:00:00Z"}));
  EXPECT_TRUE(slot_instants(daily, utc_zone, utc(2027, 3, 1, 9, 0), utc(2027, 3, 1, 9, 0)).empty());
  EXPECT_TRUE(slot_instants(daily, utc_zone, utc(2027, 3, 2, 0, 0), utc(2027, 3, 1, 0, 0)).empty());
  EXPECT_TRUE(slot_instants({}, utc_zone, utc(2027, 3, 1, 0, 0), utc(2027, 4, 1, 0, 0)).empty());
}

TEST(SlotInstants, RangeEdgesAreUtcInstantsNotLocalDays) {
  // Sydney is +11 in March: Monday 09:15 local is Sunday 22:15Z.
  const auto got = slot_instants({slot("mon 09:15")}, zone("Australia/Sydney"),
                                 utc(2027, 3, 7, 22, 0), utc(2027, 3, 7, 23, 0));
  EXPECT_EQ(as_utc(got), (Strings{"2027-03-07T22:15:00Z"}));
}

TEST(SlotInstants, TransitionsAtLocalMidnight) {
  // Santiago skips Sunday 00:00-01:00 on 2027-09-05 (04:00Z) ...
  const auto& scl = zone("America/Santiago");
  EXPECT_EQ(as_utc(slot_instants({slot("sun 00:30"), slot("sat 23:30")}, scl,
                                 utc(2027, 9, 4, 0, 0), utc(2027, 9, 6, 0, 0))),
            (Strings{"2027-09-05T03:30:00Z", "2027-09-05T04:30:00Z"}));
  // ... and repeats Saturday 23:00-24:00 on 2027-04-03 (the change is at 03:00Z).
  // `to` falls in the second pass, so its wall clock (23:45) is earlier than the
  // first occurrence of 23:30 was; that occurrence is still inside the range.
  EXPECT_EQ(as_utc(slot_instants({slot("sat 23:30"), slot("sun 00:00")}, scl,
                                 utc(2027, 4, 3, 0, 0), utc(2027, 4, 4, 3, 45))),
            (Strings{"2027-04-04T02:30:00Z"}));
}

TEST(SlotInstants, TwoYearsOfDailySlotsInA30MinuteShiftZone) {
  // Lord Howe skips 02:00-02:30 each October; a 02:15 slot becomes 02:45 those days.
  const auto& lhi = zone("Australia/Lord_Howe");
  const auto got =
      slot_instants({slot("daily 02:15")}, lhi, utc(2026, 12, 31, 14, 0), utc(2028, 12, 31, 14, 0));
  ASSERT_EQ(got.size(), 365u + 366u);
  int moved = 0;
  for (const auto at : got) {
    const WallTime w = to_wall(lhi, at);
    const auto time = w - date::floor<date::days>(w);
    if (time == minutes{2 * 60 + 45}) {
      ++moved;
    } else {
      EXPECT_EQ(time, minutes{2 * 60 + 15}) << format_utc(at);
    }
  }
  EXPECT_EQ(moved, 2);
}

}  // namespace
}  // namespace herald
