#include "daemon/store_watch.hpp"

namespace herald {

void StoreWatch::trouble(const std::string& why) {
  dispatcher_.set_store_problem(why);
  set_problem(why);
  if (why != last_logged_) log_.error("no create starts until the state database is usable again: " + why);
  last_logged_ = why;
}

std::string StoreWatch::problem() const {
  std::lock_guard lock(mutex_);
  return problem_;
}

void StoreWatch::set_problem(std::string why) {
  std::lock_guard lock(mutex_);
  problem_ = std::move(why);
}

// While a problem holds, each beat tries to clear it: the file checks out,
// a write commits (a full disk has room again), and a damage finding is
// gone; then what waited in memory is written.
bool StoreWatch::check(std::chrono::seconds deep_check_every) {
  const Instant now = clock_.now();
  // The file first: a deep check opens the path anew, and a file that is
  // no longer herald's would be read with herald's log.
  if (auto problem = store_.check_file()) {
    const bool moved =
        problem->find("was deleted") != std::string::npos || problem->find("was replaced") != std::string::npos;
    if (moved && !rescued_) {
      rescue_copy();
      store_.set_aside_log(now);
    }
    trouble(*problem);
    return false;
  }
  if (deep_check_.valid() && deep_check_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    deep_finding_ = deep_check_.get();
    if (deep_finding_) trouble(*deep_finding_);
  }
  // A PostgreSQL store has no file here to read: its server checks its own pages.
  if (!store_.file().empty() && !deep_check_.valid() &&
      (!last_deep_check_ || now - *last_deep_check_ >= deep_check_every)) {
    last_deep_check_ = now;
    deep_check_ = std::async(std::launch::async, [file = store_.file()] { return Store::deep_check(file); });
  }
  if (!dispatcher_.store_problem()) return false;
  if (deep_finding_) return false;  // damage stays until a check finds the file sound
  try {
    store_.probe_write(now);
  } catch (const std::exception& e) {
    trouble(describe_store_failure(e));
    return false;
  }
  dispatcher_.set_store_problem(std::nullopt);
  if (dispatcher_.store_problem()) {
    trouble(*dispatcher_.store_problem());
    return false;
  }
  set_problem({});
  last_logged_.clear();
  log_.info("the state database is usable again; publishing goes on");
  guarded("noting the recovery", [&] { store_.note("store_recovered", "the state database is usable again", now); });
  return true;
}

// herald still has the deleted or replaced database open: a copy next to
// where it was lets the operator put it back (docs/operations.md).
void StoreWatch::rescue_copy() {
  rescued_ = true;
  const auto copy = state_dir_ / ("herald.db.rescued-" + std::to_string(clock_.now().time_since_epoch().count()));
  try {
    store_.backup_to(copy);
    log_.error("a copy of the state database herald had open is in " + copy.string() +
               "; to go on: stop herald, move that copy to " + store_.file().string() + ", start herald");
  } catch (const std::exception& e) {
    log_.error("could not write a copy of the state database herald had open to " + copy.string() + ": " +
               describe_store_failure(e));
  }
}

}  // namespace herald
