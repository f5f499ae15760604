#include "scheduler/schedule_diff.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace herald {

std::string_view to_string(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::error: return "error";
    case ChangeKind::added: return "added";
    case ChangeKind::removed: return "removed";
    case ChangeKind::moved: return "moved";
    case ChangeKind::slot_shifted: return "slot_shifted";
    case ChangeKind::retexted: return "retexted";
    case ChangeKind::drafted: return "drafted";
    case ChangeKind::approved: return "approved";
    case ChangeKind::now_waiting: return "now_waiting";
    case ChangeKind::no_longer_waiting: return "no_longer_waiting";
    case ChangeKind::warning_new: return "warning_new";
    case ChangeKind::warning_gone: return "warning_gone";
  }
  return "?";
}

std::string_view title_of(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::error: return "Errors";
    case ChangeKind::added: return "Added";
    case ChangeKind::removed: return "Removed (cancelled)";
    case ChangeKind::moved: return "Moved";
    case ChangeKind::slot_shifted: return "Queue slots shifted";
    case ChangeKind::retexted: return "Text changed";
    case ChangeKind::drafted: return "Now drafts (not published)";
    case ChangeKind::approved: return "Approved (no longer drafts)";
    case ChangeKind::now_waiting: return "Now waiting";
    case ChangeKind::no_longer_waiting: return "No longer waiting";
    case ChangeKind::warning_new: return "New warnings";
    case ChangeKind::warning_gone: return "Warnings gone";
  }
  return "?";
}

std::vector<ScheduleChange> diff_schedules(const std::vector<ScheduledRow>& before,
                                           const std::vector<ScheduledRow>& after) {
  std::map<std::string_view, const ScheduledRow*> old_by_key, new_by_key;
  for (const auto& r : before) old_by_key.emplace(r.key, &r);
  for (const auto& r : after) new_by_key.emplace(r.key, &r);

  std::vector<ScheduleChange> out;
  for (const auto& [key, was] : old_by_key)
    if (!new_by_key.count(key)) out.push_back({ChangeKind::removed, *was, std::nullopt});
  for (const auto& entry : new_by_key) {
    const ScheduledRow& is = *entry.second;
    auto it = old_by_key.find(entry.first);
    if (it == old_by_key.end()) {
      out.push_back({ChangeKind::added, std::nullopt, is});
      continue;
    }
    const ScheduledRow& was = *it->second;
    auto change = [&](ChangeKind kind) { out.push_back({kind, was, is}); };
    // A queued delivery that stays queued moved because the queue did: its
    // post asked for no time. Any other new time is the edit's own.
    if (was.at != is.at) change(was.queued && is.queued ? ChangeKind::slot_shifted : ChangeKind::moved);
    if (was.text != is.text) {
      change(ChangeKind::retexted);
      out.back().text_diff = word_diff(was.text, is.text);
    }
    if (!was.draft && is.draft) change(ChangeKind::drafted);
    if (was.draft && !is.draft) change(ChangeKind::approved);
    if (!was.waiting && is.waiting) change(ChangeKind::now_waiting);
    if (was.waiting && !is.waiting) change(ChangeKind::no_longer_waiting);
  }
  std::stable_sort(out.begin(), out.end(), [](const ScheduleChange& a, const ScheduleChange& b) {
    return std::tuple(a.kind, a.row().at, std::string_view(a.row().key)) <
           std::tuple(b.kind, b.row().at, std::string_view(b.row().key));
  });
  return out;
}

std::vector<ScheduleChange> diff_warnings(const std::vector<Diagnostic>& before, const std::vector<Diagnostic>& after) {
  // Multisets by message: the same warning twice that becomes once is one gone.
  std::map<std::string_view, int> count;
  for (const auto& d : before)
    if (d.severity == Severity::warning) ++count[d.message];
  std::vector<ScheduleChange> added, gone;
  for (const auto& d : after) {
    if (d.severity != Severity::warning) continue;
    auto it = count.find(d.message);
    if (it != count.end() && it->second > 0) --it->second;
    else added.push_back({ChangeKind::warning_new, std::nullopt, std::nullopt, {}, d});
  }
  for (const auto& d : before) {
    if (d.severity != Severity::warning) continue;
    auto it = count.find(d.message);
    if (it->second > 0) {
      --it->second;
      gone.push_back({ChangeKind::warning_gone, std::nullopt, std::nullopt, {}, d});
    }
  }
  added.insert(added.end(), gone.begin(), gone.end());
  return added;
}

std::vector<std::size_t> count_by_kind(const std::vector<ScheduleChange>& changes) {
  std::vector<std::size_t> n(kChangeKinds, 0);
  for (const auto& c : changes) ++n[static_cast<std::size_t>(c.kind)];
  return n;
}

}  // namespace herald
