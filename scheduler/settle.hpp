#pragma once
// Settling a create whose answer was lost (DESIGN.md "Publishing semantics",
// docs/connectors.md "When an answer is lost"), as pure rules: the request
// may still be running at the platform, so a lookup that finds the post is
// proof at any time, but "absent" proves nothing until the platform's margin
// has passed since herald stopped waiting. Lookups repeat with a growing gap
// until then; an absence that outlasts the margin allows a new attempt, and a
// platform that cannot tell by then leaves the delivery to a person.

#include "config/local_time.hpp"
#include "connectors/connector.hpp"

#include <chrono>
#include <string>

namespace herald {

/// The timing of the lookups of one unsure create.
struct SettleSchedule {
  std::chrono::seconds first_gap{5};  ///< between the first and the second lookup
  std::chrono::seconds max_gap{60};   ///< the gap doubles up to this
  /// When the lookup after `done` lookups runs: the gap after the latest,
  /// never later than `absent_counts_from` while that is still ahead (so the
  /// deciding lookup runs as soon as absence can count).
  Instant next(Instant now, int done, Instant absent_counts_from) const;
};

/// One unsure create being settled.
struct Settling {
  std::string key;
  Instant since;               ///< when herald learned the answer was lost
  Instant absent_counts_from;  ///< before this, "absent" proves nothing
  Instant next_lookup;
  int lookups = 0;             ///< lookups answered so far
  std::string lost;            ///< what happened to the answer, for the history
};

/// What one lookup's answer means.
enum class SettleAction {
  publish,       ///< found: the delivery is out
  send_again,    ///< absent after the margin: a new attempt may go
  needs_review,  ///< the platform could not tell by the end of the margin
  look_again,    ///< too early to conclude: look again at `next`
};

struct SettleDecision {
  SettleAction action = SettleAction::look_again;
  Instant next;        ///< look_again: when
  std::string detail;  ///< for the history: how the outcome was established
};

/// Decides what a lookup's answer means for `s` at `now`.
SettleDecision settle_step(const LookupResult& result, const Settling& s, Instant now, const SettleSchedule& schedule);

}  // namespace herald
