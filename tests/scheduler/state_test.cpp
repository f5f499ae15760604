#include "scheduler/state.hpp"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <set>
#include <string>

namespace herald {
namespace {

constexpr std::array kStates{State::planned,   State::waiting, State::held,         State::sending,  State::retry_wait,
                             State::published, State::failed,  State::needs_review, State::cancelled};

constexpr std::array kEvents{Event::wait_for_dependency, Event::dependency_met,   Event::pause,
                             Event::resume,              Event::start_send,       Event::sent,
                             Event::transient_error,     Event::processing,       Event::retry_due,
                             Event::permanent_error,
                             Event::auth_error,          Event::outcome_unknown,  Event::found_on_platform,
                             Event::absent_on_platform,  Event::safe_to_repeat,   Event::cannot_verify,
                             Event::missed,              Event::edited,           Event::removed,
                             Event::retry_requested,     Event::resolved};

// The whole table, written out, so that any change to it fails here.
// Rows follow kStates, columns follow kEvents; `x` is "cannot happen".
constexpr std::optional<State> x = std::nullopt;
constexpr std::optional<State> P = State::planned, W = State::waiting, H = State::held, S = State::sending,
                               R = State::retry_wait, Pub = State::published, F = State::failed,
                               N = State::needs_review, C = State::cancelled;

// clang-format off
constexpr std::optional<State> kExpected[9][21] = {
  //            wait dep  pause resume start sent transient proc due  perm  auth  unknown found absent repeat verify missed edited removed retry resolved
  /* planned  */ {W,  x,   H,    x,     S,    x,   x,        x,    x,   x,    x,    x,      Pub,  x,     x,     N,     N,     P,     C,      x,    x},
  /* waiting  */ {x,  P,   H,    x,     x,    x,   x,        x,    x,   x,    x,    x,      x,    x,     x,     x,     N,     P,     C,      x,    x},
  /* held     */ {x,  x,   x,    P,     x,    x,   x,        x,    x,   x,    x,    x,      x,    x,     x,     x,     N,     P,     C,      x,    x},
  /* sending  */ {x,  x,   x,    x,     x,    Pub, R,        R,    x,   F,    H,    N,      Pub,  P,     P,     x,     x,     x,     x,      x,    x},
  /* retry    */ {x,  x,   H,    x,     x,    x,   x,        x,    P,   x,    x,    x,      x,    x,     x,     x,     N,     P,     C,      x,    x},
  /* published*/ {x,  x,   x,    x,     x,    x,   x,        x,    x,   x,    x,    x,      x,    x,     x,     x,     x,     x,     x,      x,    x},
  /* failed   */ {x,  x,   x,    x,     x,    x,   x,        x,    x,   x,    x,    x,      x,    x,     x,     x,     x,     P,     C,      P,    Pub},
  /* review   */ {x,  x,   x,    x,     x,    x,   x,        x,    x,   x,    x,    x,      x,    x,     x,     x,     x,     x,     x,      P,    Pub},
  /* cancelled*/ {x,  x,   x,    x,     x,    x,   x,        x,    x,   x,    x,    x,      x,    x,     x,     x,     x,     x,     x,      x,    x},
};
// clang-format on

std::string show(std::optional<State> s) { return s ? std::string(to_string(*s)) : std::string("nullopt"); }

TEST(StateTest, EveryPairMatchesTheTable) {
  static_assert(std::size(kExpected) == kStates.size());
  static_assert(std::size(kExpected[0]) == kEvents.size());
  for (std::size_t i = 0; i < kStates.size(); ++i) {
    for (std::size_t j = 0; j < kEvents.size(); ++j) {
      EXPECT_EQ(transition(kStates[i], kEvents[j]), kExpected[i][j])
          << to_string(kStates[i]) << " --" << to_string(kEvents[j]) << "--> got "
          << show(transition(kStates[i], kEvents[j])) << ", want " << show(kExpected[i][j]);
    }
  }
}

TEST(StateTest, EnumListsInTheTestCoverEveryEnumerator) {
  // If an enumerator is added, the arrays above (and so the table) must grow.
  EXPECT_EQ(static_cast<std::size_t>(State::cancelled) + 1, kStates.size());
  EXPECT_EQ(static_cast<std::size_t>(Event::resolved) + 1, kEvents.size());
  for (std::size_t i = 0; i < kStates.size(); ++i) EXPECT_EQ(static_cast<std::size_t>(kStates[i]), i);
  for (std::size_t j = 0; j < kEvents.size(); ++j) EXPECT_EQ(static_cast<std::size_t>(kEvents[j]), j);
}

TEST(StateTest, FinalStatesNeverChange) {
  for (State s : kStates) {
    if (!is_final(s)) continue;
    for (Event e : kEvents) EXPECT_FALSE(transition(s, e)) << to_string(s) << " " << to_string(e);
  }
}

TEST(StateTest, OnlyPublishedAndCancelledAreFinal) {
  std::set<State> finals;
  for (State s : kStates)
    if (is_final(s)) finals.insert(s);
  EXPECT_EQ(finals, (std::set<State>{State::published, State::cancelled}));
}

// The states a person must act on: nothing moves them on by itself, and only
// a person's event (retry, resolve) or the calendar (an edit, a removal)
// can.
TEST(StateTest, OnlyFailedAndNeedsReviewNeedAttention) {
  std::set<State> attention;
  for (State s : kStates)
    if (needs_attention(s)) attention.insert(s);
  EXPECT_EQ(attention, (std::set<State>{State::failed, State::needs_review}));
  for (State s : attention) {
    EXPECT_FALSE(is_final(s));
    for (Event e : {Event::retry_due, Event::dependency_met, Event::transient_error, Event::start_send})
      EXPECT_FALSE(transition(s, e)) << to_string(s) << " moved on by itself on " << to_string(e);
    EXPECT_TRUE(transition(s, Event::retry_requested) || transition(s, Event::resolved)) << to_string(s);
  }
}

// Every state is exactly one of: open (queued), needing a person, final.
TEST(StateTest, EveryStateIsOpenNeedsAttentionOrFinal) {
  std::set<State> open;
  for (State s : kStates) {
    EXPECT_EQ(int(is_open(s)) + int(needs_attention(s)) + int(is_final(s)), 1) << to_string(s);
    if (is_open(s)) open.insert(s);
  }
  EXPECT_EQ(open, (std::set<State>{State::planned, State::waiting, State::held, State::sending, State::retry_wait}));
}

TEST(StateTest, SendingIsEnteredOnlyByStartSendFromPlanned) {
  for (State s : kStates)
    for (Event e : kEvents)
      if (transition(s, e) == State::sending) {
        EXPECT_EQ(s, State::planned);
        EXPECT_EQ(e, Event::start_send);
      }
}

TEST(StateTest, NothingTouchesAnInFlightDeliveryButItsOutcome) {
  const std::set<Event> outcomes{Event::sent,          Event::transient_error,   Event::processing,
                                 Event::permanent_error,
                                 Event::auth_error,    Event::outcome_unknown,   Event::found_on_platform,
                                 Event::absent_on_platform, Event::safe_to_repeat};
  for (Event e : kEvents) EXPECT_EQ(transition(State::sending, e).has_value(), outcomes.count(e) == 1) << to_string(e);
}

TEST(StateTest, PublishedIsReachedOnlyByProofOrAPerson) {
  for (State s : kStates)
    for (Event e : kEvents)
      if (transition(s, e) == State::published) {
        EXPECT_TRUE(e == Event::sent || e == Event::found_on_platform || e == Event::resolved) << to_string(e);
      }
}

TEST(StateTest, StateNamesRoundTrip) {
  std::set<std::string_view> names;
  for (State s : kStates) {
    const auto name = to_string(s);
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(parse_state(name), s) << name;
  }
  EXPECT_EQ(to_string(State::retry_wait), "retry_wait");
  EXPECT_EQ(to_string(State::needs_review), "needs_review");
}

TEST(StateTest, ParseStateRejectsOtherText) {
  EXPECT_FALSE(parse_state(""));
  EXPECT_FALSE(parse_state("Planned"));
  EXPECT_FALSE(parse_state("planned "));
  EXPECT_FALSE(parse_state("retry-wait"));
  EXPECT_FALSE(parse_state("unknown"));
}

TEST(StateTest, EventNamesAreTheEnumeratorNames) {
  std::set<std::string_view> names;
  for (Event e : kEvents) EXPECT_TRUE(names.insert(to_string(e)).second) << to_string(e);
  EXPECT_EQ(to_string(Event::wait_for_dependency), "wait_for_dependency");
  EXPECT_EQ(to_string(Event::start_send), "start_send");
  EXPECT_EQ(to_string(Event::absent_on_platform), "absent_on_platform");
  EXPECT_EQ(to_string(Event::resolved), "resolved");
}

// The history's words are what `herald history` and the API have always
// shown; a new event names its line after itself.
TEST(StateTest, HistoryNamesKeepTheWordsTheHistoryShows) {
  EXPECT_EQ(history_name(Event::start_send), "sending");
  EXPECT_EQ(history_name(Event::sent), "published");
  EXPECT_EQ(history_name(Event::transient_error), "retry_scheduled");
  EXPECT_EQ(history_name(Event::removed), "cancelled");
  EXPECT_EQ(history_name(Event::processing), "processing");
  std::set<std::string_view> names;
  for (Event e : kEvents) EXPECT_TRUE(names.insert(history_name(e)).second) << history_name(e);
  for (Event e : kEvents) {
    if (e != Event::start_send && e != Event::sent && e != Event::transient_error && e != Event::removed) {
      EXPECT_EQ(history_name(e), to_string(e));
    }
  }
}

}  // namespace
}  // namespace herald
