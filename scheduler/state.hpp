#pragma once
// The life of a delivery as a pure transition table (DESIGN.md "States").

#include <optional>
#include <string_view>

namespace herald {

/// Where a delivery is in its life.
enum class State {
  planned,       ///< will go out at its planned time
  waiting,       ///< due, but a delivery it links to is not published yet
  held,          ///< due, but its channel (or everything) is paused
  sending,       ///< a create request may be on its way; committed before the request
  retry_wait,    ///< a transient failure; tries again at next_attempt
  published,     ///< out, with remote id and URL; never sent again
  failed,        ///< a permanent error, with the platform's message
  needs_review,  ///< outcome unknown, or missed beyond the late window; a person decides
  cancelled,     ///< removed from the calendar before it went out
};

/// What happens to a delivery.
enum class Event {
  wait_for_dependency,  ///< due, but a linked delivery is unpublished
  dependency_met,       ///< every linked delivery is published
  pause,                ///< its channel or everything was paused
  resume,               ///< the pause was lifted (the late window then applies)
  start_send,           ///< the create request is about to go out
  sent,                 ///< the platform confirmed the post
  transient_error,      ///< network, 5xx, rate limit: try again later
  processing,           ///< the platform is still preparing the post: asked again later, not a failed attempt
  retry_due,            ///< the retry time has come
  permanent_error,      ///< a validation error, or retries used up
  auth_error,           ///< credentials rejected: the channel is paused
  outcome_unknown,      ///< a crash or a dropped response left it unknown
  found_on_platform,    ///< a lookup found the post (after a lost answer, or before a new store's first create)
  absent_on_platform,   ///< lookups proved it was not posted (absence outlasted the settle margin)
  safe_to_repeat,       ///< its answer was lost, and the platform makes a repeat the same post: due again
  cannot_verify,        ///< a new store could not learn from the platform whether it is out already
  missed,               ///< overdue by more than the late window
  edited,               ///< the calendar changed its text or time
  removed,              ///< the post left the calendar
  retry_requested,      ///< a person asked to try again (herald retry)
  resolved,             ///< a person confirmed it went out (herald resolve)
};

/// The state after `event`, or nullopt if the event cannot happen in `from`
/// (the caller then leaves the delivery as it is and logs it).
std::optional<State> transition(State from, Event event);

/// Whether a delivery in this state will never change by itself again.
bool is_final(State s);
/// Whether a person must act for a delivery in this state to move on
/// (failed, needs_review): what `status`, `/metrics` and the page count as
/// "needs attention".
bool needs_attention(State s);
/// Not out yet and moving on by itself (planned, waiting, held, sending,
/// retry_wait): what the status counts as queued and /metrics as the queue
/// depth.
bool is_open(State s);

std::string_view to_string(State s);
std::string_view to_string(Event e);
/// The word the history records for an event: its name, except where the
/// history has always said what came of it (start_send is "sending", sent
/// is "published", transient_error is "retry_scheduled", removed is
/// "cancelled"), which `herald history` and the API show.
std::string_view history_name(Event e);
std::optional<State> parse_state(std::string_view text);

}  // namespace herald
