#include "scheduler/state.hpp"

#include <array>

namespace herald {

namespace {

constexpr std::array kStateNames{
    std::string_view{"planned"},    std::string_view{"waiting"},   std::string_view{"held"},
    std::string_view{"sending"},    std::string_view{"retry_wait"}, std::string_view{"published"},
    std::string_view{"failed"},     std::string_view{"needs_review"}, std::string_view{"cancelled"},
};

struct EventNames {
  std::string_view name;
  std::string_view history;  // the history's word for it (history_name)
};

constexpr std::array<EventNames, 21> kEventNames{{
    {"wait_for_dependency", "wait_for_dependency"},
    {"dependency_met", "dependency_met"},
    {"pause", "pause"},
    {"resume", "resume"},
    {"start_send", "sending"},
    {"sent", "published"},
    {"transient_error", "retry_scheduled"},
    {"processing", "processing"},
    {"retry_due", "retry_due"},
    {"permanent_error", "permanent_error"},
    {"auth_error", "auth_error"},
    {"outcome_unknown", "outcome_unknown"},
    {"found_on_platform", "found_on_platform"},
    {"absent_on_platform", "absent_on_platform"},
    {"safe_to_repeat", "safe_to_repeat"},
    {"cannot_verify", "cannot_verify"},
    {"missed", "missed"},
    {"edited", "edited"},
    {"removed", "cancelled"},
    {"retry_requested", "retry_requested"},
    {"resolved", "resolved"},
}};

static_assert(kStateNames.size() == static_cast<std::size_t>(State::cancelled) + 1);
static_assert(kEventNames.size() == static_cast<std::size_t>(Event::resolved) + 1);

// Not yet handed to the platform, and no person is needed: the states a
// pause, a miss or a removal from the calendar can still act on.
bool untouched(State s) {
  return s == State::planned || s == State::waiting || s == State::held || s == State::retry_wait;
}

}  // namespace

std::optional<State> transition(State from, Event event) {
  using S = State;
  switch (event) {
    case Event::wait_for_dependency:
      if (from == S::planned) return S::waiting;
      break;
    case Event::dependency_met:
      if (from == S::waiting) return S::planned;
      break;
    case Event::pause:
      if (from == S::planned || from == S::waiting || from == S::retry_wait) return S::held;
      break;
    case Event::resume:
      if (from == S::held) return S::planned;
      break;
    case Event::start_send:
      // Only from planned: a retry first becomes planned (retry_due), so there
      // is one path into sending and one place that checks pauses and spacing.
      if (from == S::planned) return S::sending;
      break;
    case Event::sent:
      if (from == S::sending) return S::published;
      break;
    case Event::transient_error:
      if (from == S::sending) return S::retry_wait;
      break;
    case Event::processing:
      if (from == S::sending) return S::retry_wait;
      break;
    case Event::retry_due:
      if (from == S::retry_wait) return S::planned;
      break;
    case Event::permanent_error:
      if (from == S::sending) return S::failed;
      break;
    case Event::auth_error:
      // The delivery was not sent; the dispatcher pauses its channel.
      if (from == S::sending) return S::held;
      break;
    case Event::outcome_unknown:
      if (from == S::sending) return S::needs_review;
      break;
    case Event::found_on_platform:
      // Planned too: a new store looks overdue deliveries up before sending.
      if (from == S::sending || from == S::planned) return S::published;
      break;
    case Event::absent_on_platform:
      // Proven not posted: due again, as if the request never went out.
      if (from == S::sending) return S::planned;
      break;
    case Event::safe_to_repeat:
      if (from == S::sending) return S::planned;
      break;
    case Event::cannot_verify:
      if (from == S::planned) return S::needs_review;
      break;
    case Event::missed:
      if (untouched(from)) return S::needs_review;
      break;
    case Event::edited:
      // A failed delivery goes back too: the editor fixed what the platform
      // rejected. In-flight and needs_review deliveries may already be out.
      if (untouched(from) || from == S::failed) return S::planned;
      break;
    case Event::removed:
      // Never touch an in-flight request, nor one whose outcome is unknown:
      // a needs_review delivery may be out already, and taking its post out
      // of the calendar does not say whether it is. A person settles it
      // (herald resolve or herald retry).
      if (untouched(from) || from == S::failed) return S::cancelled;
      break;
    case Event::retry_requested:
      if (from == S::failed || from == S::needs_review) return S::planned;
      break;
    case Event::resolved:
      if (from == S::failed || from == S::needs_review) return S::published;
      break;
  }
  return std::nullopt;
}

bool is_final(State s) { return s == State::published || s == State::cancelled; }

bool needs_attention(State s) { return s == State::failed || s == State::needs_review; }

bool is_open(State s) { return !is_final(s) && !needs_attention(s); }

std::string_view to_string(State s) {
  const auto i = static_cast<std::size_t>(s);
  return i < kStateNames.size() ? kStateNames[i] : std::string_view{"unknown"};
}

std::string_view to_string(Event e) {
  const auto i = static_cast<std::size_t>(e);
  return i < kEventNames.size() ? kEventNames[i].name : std::string_view{"unknown"};
}

std::string_view history_name(Event e) {
  const auto i = static_cast<std::size_t>(e);
  return i < kEventNames.size() ? kEventNames[i].history : std::string_view{"unknown"};
}

std::optional<State> parse_state(std::string_view text) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i)
    if (kStateNames[i] == text) return static_cast<State>(i);
  return std::nullopt;
}

}  // namespace herald
