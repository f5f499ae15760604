#include "scheduler/settle.hpp"

#include <algorithm>

namespace herald {

Instant SettleSchedule::next(Instant now, int done, Instant absent_counts_from) const {
  std::chrono::seconds gap = first_gap;
  for (int i = 1; i < done && gap < max_gap; ++i) gap *= 2;
  gap = std::min(gap, max_gap);
  Instant at = now + gap;
  if (now < absent_counts_from && at > absent_counts_from) at = absent_counts_from;
  return at;
}

SettleDecision settle_step(const LookupResult& result, const Settling& s, Instant now, const SettleSchedule& schedule) {
  const auto waited = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - s.since).count());
  const std::string which = "lookup " + std::to_string(s.lookups + 1) + ", " + waited + " s after the answer was lost";
  SettleDecision d;
  if (const auto* found = std::get_if<Found>(&result)) {
    d.action = SettleAction::publish;
    d.detail = "found by lookup after a lost answer (" + which + "): " + found->url;
    return d;
  }
  const bool conclusive = now >= s.absent_counts_from;
  if (std::holds_alternative<Absent>(result)) {
    if (conclusive) {
      d.action = SettleAction::send_again;
      d.detail = "lookup: absent " + waited + " s after the answer was lost (" + std::to_string(s.lookups + 1) +
                 " lookups); sending again";
      return d;
    }
    d.action = SettleAction::look_again;
    d.next = schedule.next(now, s.lookups + 1, s.absent_counts_from);
    d.detail = "not on the platform yet (" + which + "); the platform may still complete the request until " +
               format_utc(s.absent_counts_from);
    return d;
  }
  const std::string why = std::get<Unknown>(result).message;
  if (conclusive) {
    d.action = SettleAction::needs_review;
    d.detail = "outcome unknown: " + s.lost + "; lookups for " + waited + " s could not tell: " + why +
               "; check the platform, then herald resolve or herald retry";
    return d;
  }
  d.action = SettleAction::look_again;
  d.next = schedule.next(now, s.lookups + 1, s.absent_counts_from);
  d.detail = "the lookup could not tell (" + which + "): " + why;
  return d;
}

}  // namespace herald
