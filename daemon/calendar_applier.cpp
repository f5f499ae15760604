#include "daemon/calendar_applier.hpp"

#include "connectors/credentials.hpp"
#include "daemon/connector_factory.hpp"
#include "scheduler/check.hpp"
#include "scheduler/fault.hpp"

#include <malloc.h>

namespace herald {

namespace {

/// How far ahead deliveries are written to the store.
constexpr date::days kStoreHorizon{35};

std::string describe(const Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.sorted())
    if (d.severity == Severity::error) out += (out.empty() ? "" : "; ") + format(d);
  return out;
}

// A reload holds a second calendar beside the running one, its check and
// a plan for a moment; they are freed by now, but glibc keeps the pages.
// A daemon that reloaded a large calendar once should not hold its peak
// for the rest of its life.
void give_back_memory() { ::malloc_trim(0); }

}  // namespace

CalendarApplier::CalendarApplier(std::string config, std::shared_ptr<LoadedCalendar> calendar, Parts parts,
                                 ComposeCache composed)
    : config_(std::move(config)),
      cal_(std::move(calendar)),
      composed_(std::move(composed)),
      parts_(parts),
      last_reload_(parts.clock.now()),
      fingerprint_(calendar_fingerprint(cal_->calendar, cal_->settings.calendar)) {}

std::shared_ptr<LoadedCalendar> CalendarApplier::load_checked(const std::string& config, Instant now,
                                                              Diagnostics& diags, const LoadedCalendar* previous,
                                                              ComposeCache* composed) {
  auto settings = load_settings(config, SettingsEnvironment::from_process(), diags);
  if (!settings) return nullptr;
  auto loaded = std::make_shared<LoadedCalendar>();
  loaded->settings = std::move(*settings);
  auto calendar = load_calendar(loaded->settings, diags, {}, previous ? &previous->calendar : nullptr);
  if (!calendar) return nullptr;
  loaded->calendar = std::move(*calendar);
  auto report = check_calendar(loaded->calendar, loaded->settings, now, diags, composed);
  if (diags.has_errors()) return nullptr;
  loaded->references = std::move(report.references);
  loaded->fingerprints = std::move(report.fingerprints);
  return loaded;
}

// The window sync() writes, and the plan for it: from before the longest
// late window (what is still due) to the store's horizon.
CalendarApplier::PlanWindow CalendarApplier::plan_window(const LoadedCalendar& cal) {
  const Instant now = parts_.clock.now();
  std::chrono::seconds longest_late{0};
  for (const auto& c : cal.settings.channels) longest_late = std::max(longest_late, cal.settings.late_window(c));
  PlanWindow w{now - longest_late - std::chrono::hours(1), now + kStoreHorizon, {}};
  // A queued delivery keeps the slot it was given.
  w.planned = planned_deliveries(cal, now, w.from, w.to, parts_.store.queued_slots());
  return w;
}

void CalendarApplier::sync() { sync(plan_window(*cal_)); }

// Writes the coming weeks to the store as a diff, in one transaction, and
// (a shared store) which calendar they are of.
void CalendarApplier::sync(const PlanWindow& w) {
  const Instant now = parts_.clock.now();
  const SyncResult r = parts_.store.sync(w.planned, w.from, w.to, now);
  if (parts_.store.shared()) parts_.store.record_calendar(fingerprint_);
  if (r.added || r.updated || r.cancelled)
    parts_.log.info("calendar applied: " + std::to_string(r.added) + " added, " + std::to_string(r.updated) +
                    " updated, " + std::to_string(r.cancelled) + " cancelled");
  if (r.to_verify)
    parts_.log.warning("the state database is new (or not the one herald last sent through): " +
                       std::to_string(r.to_verify) +
                       " overdue deliveries are looked up on their platforms before anything is sent");
}

void CalendarApplier::apply(std::shared_ptr<LoadedCalendar> cal, const PlanWindow* planned) {
  cal_ = std::move(cal);
  fingerprint_ = calendar_fingerprint(cal_->calendar, cal_->settings.calendar);
  parts_.dispatcher.configure(cal_);
  parts_.collector.configure(cal_->settings);
  // Connectors of the previous calendar may still be in use by a request in
  // flight; they are kept until the daemon stops.
  for (auto& c : connectors_) retired_.push_back(std::move(c));
  connectors_.clear();
  channel_problems_.clear();
  credential_warned_.clear();
  refused_.clear();  // the files are read again
  for (const auto& c : cal_->settings.channels) {
    // A channel without usable credentials publishes nothing: its
    // deliveries wait (visible in the queue) until the file is fixed and
    // the calendar reloaded; the other channels go on.
    std::vector<std::string> warnings;
    try {
      auto conn = make_connector(
          c, cal_->settings,
          {parts_.http, parts_.connector_state, [clock = &parts_.clock] { return clock->now(); }}, warnings);
      parts_.dispatcher.set_connector(c.name, conn.get());
      parts_.collector.set_connector(c.name, conn.get());
      if (auto at = conn->credentials_expire_at()) credential_expiry_[c.name] = *at;
      else credential_expiry_.erase(c.name);
      connectors_.push_back(std::move(conn));
    } catch (const CredentialError& e) {
      parts_.log.error("channel " + c.name + " cannot publish: " + e.what());
      channel_problems_[c.name] = e.what();
      parts_.dispatcher.set_connector(c.name, nullptr);
      parts_.collector.set_connector(c.name, nullptr);
    }
    for (const auto& w : warnings) parts_.log.warning("channel " + c.name + ": " + w);
  }
  if (!kept_plan_.empty()) {
    // Another calendar's plan is kept: this one only composes and sends what it plans the same.
  } else if (planned) {
    sync(*planned);
  } else {
    sync();
  }
  warn_of_expiring_credentials();
  give_back_memory();
}

bool CalendarApplier::apply_first() {
  return parts_.watch.guarded("applying the calendar", [&] { apply(cal_); });
}

void CalendarApplier::keep_store_plan(std::string store_calendar) {
  kept_plan_ = std::move(store_calendar);
  parts_.dispatcher.keep_store_plan(!kept_plan_.empty());
}

bool CalendarApplier::resync() {
  if (parts_.dispatcher.store_problem() || !kept_plan_.empty()) return false;
  return parts_.watch.guarded("writing the coming weeks", [&] { sync(); });
}

std::string CalendarApplier::credential_file(const std::string& channel) const {
  const ChannelSettings* c = cal_->settings.channel(channel);
  if (!c || c->credentials.empty()) return {};
  return (cal_->settings.credentials_dir / c->credentials).string();
}

std::optional<std::string> CalendarApplier::credential_warning(const std::string& channel, Instant now) const {
  const std::string file = credential_file(channel);
  const std::string replace = file.empty() ? std::string() : "; replace " + file + ", then herald reload";
  if (auto it = refused_.find(channel); it != refused_.end())
    return "the platform refused the credentials at " + format_utc(it->second.at) + " (" + it->second.message + ")" +
           replace;
  if (auto it = credential_expiry_.find(channel); it != credential_expiry_.end()) {
    if (auto warning = credential_expiry_warning(it->second, now)) return *warning + replace;
  }
  return std::nullopt;
}

void CalendarApplier::credentials_refused(const std::string& channel, const std::string& message) {
  const bool known = refused_.count(channel) > 0;
  refused_[channel] = Refused{parts_.clock.now(), message};
  if (!known) {
    if (auto warning = credential_warning(channel, parts_.clock.now()))
      parts_.log.warning("channel " + channel + ": " + *warning);
  }
}

void CalendarApplier::credentials_work(const std::string& channel) {
  if (refused_.erase(channel)) parts_.log.info("channel " + channel + ": the platform takes its credentials again");
}

void CalendarApplier::warn_of_expiring_credentials() {
  const Instant now = parts_.clock.now();
  for (const auto& [channel, at] : credential_expiry_) {
    if (refused_.count(channel)) continue;  // said already, in other words
    auto warning = credential_warning(channel, now);
    if (!warning) continue;
    auto last = credential_warned_.find(channel);
    if (last != credential_warned_.end() && now - last->second < std::chrono::hours(24)) continue;
    credential_warned_[channel] = now;
    parts_.log.warning("channel " + channel + ": " + *warning);
  }
}

bool CalendarApplier::reload(const std::string& why, bool accept_cancellations, bool by_person) {
  stall_point("reload");
  Diagnostics diags;
  last_reload_ = parts_.clock.now();
  auto cal = load_checked(config_, last_reload_, diags, cal_.get(), &composed_);
  last_reload_ok_ = cal != nullptr;
  if (!cal) {
    const std::string errors = describe(diags);
    // Logged once per distinct error, so an editor saving a broken file
    // repeatedly does not flood the journal.
    if (errors != last_reload_error_) parts_.log.error("calendar rejected, the last good one keeps running: " + errors);
    last_reload_error_ = errors;
    parts_.watch.guarded("noting the rejected calendar",
                         [&] { parts_.store.note("calendar_rejected", errors, parts_.clock.now()); });
    give_back_memory();
    return false;
  }
  last_reload_error_.clear();
  // Another calendar's plan kept: this one replaces it once it is the same
  // calendar or a person asks, and only when it is applied (not held).
  std::string leaving_kept_plan;
  if (!kept_plan_.empty()) {
    const std::string now_fingerprint = calendar_fingerprint(cal->calendar, cal->settings.calendar);
    if (now_fingerprint == kept_plan_ || by_person) {
      leaving_kept_plan = now_fingerprint == kept_plan_
                              ? "this host's calendar is now the one whose plan the store holds (" + kept_plan_ +
                                    "); it is applied"
                              : "this host's calendar (" + now_fingerprint + ") is applied over the store's plan (" +
                                    kept_plan_ + "): a person reloaded it";
    } else {
      // Read (the status shows it), but the store's plan stays.
      parts_.watch.guarded("reading the calendar", [&] { apply(std::move(cal)); });
      give_back_memory();
      return true;
    }
  }
  const ReloadSettings& rules = cal_->settings.reload;
  reload_after_recovery_.clear();
  bool applied = false;
  const bool written = parts_.watch.guarded("applying the calendar", [&] {
    const PlanWindow w = plan_window(*cal);
    const CancelPreview preview = parts_.store.preview_cancellations(w.planned, w.from, w.to);
    const bool massive = preview.cancelled >= rules.hold_min &&
                         static_cast<double>(preview.cancelled) > rules.hold_share * preview.pending;
    if (massive && !accept_cancellations) {
      std::string sample;
      for (const auto& k : preview.sample) sample += (sample.empty() ? "" : ", ") + k;
      held_ = HeldReload{parts_.clock.now(), preview.cancelled, preview.pending, sample};
      const std::string text = "calendar edit held: it would cancel " + std::to_string(preview.cancelled) +
                               " of the " + std::to_string(preview.pending) + " pending deliveries (" + sample +
                               (preview.cancelled > static_cast<int>(preview.sample.size()) ? ", ..." : "") +
                               "); the last applied calendar keeps running. If that is intended: herald reload "
                               "--accept-cancellations";
      if (text != last_hold_text_) parts_.log.warning(text);
      last_hold_text_ = text;
      parts_.store.note("calendar_held", text, parts_.clock.now());
      return;
    }
    held_.reset();
    last_hold_text_.clear();
    parts_.store.note("calendar_reloaded", why + (massive ? " (cancellations accepted)" : ""), parts_.clock.now());
    if (!leaving_kept_plan.empty()) {
      parts_.log.info(leaving_kept_plan);
      keep_store_plan("");
    }
    // The plan the preview was made of, made of this calendar a moment ago.
    apply(std::move(cal), &w);
    applied = true;
    parts_.log.info("calendar reloaded (" + why + (massive ? "; cancellations accepted by a person" : "") + ")");
  });
  give_back_memory();
  // An edit the store could not take is read again once it can: it must
  // not wait for the next edit.
  if (!written) reload_after_recovery_ = why;
  return applied;
}

}  // namespace herald
