#include "daemon/store_open.hpp"

#include "connectors/credentials.hpp"

namespace herald {

namespace {

std::unique_ptr<Store> open_postgresql(const Settings& settings) {
  std::string password;
  if (!settings.store.password.empty()) {
    const auto creds = load_credentials(settings.credentials_dir, settings.store.password, {.required = {"password"}, .optional = {}});
    password = creds.at("password").reveal();
  }
  // A session frozen in a transaction holds the write lock for at most a
  // lease: a standby waits no longer than for the lease itself.
  return Store::open_postgresql(settings.store.postgresql, password, settings.store.lease);
}

}  // namespace

std::unique_ptr<Store> open_store(const Settings& settings) {
  if (!settings.store.postgresql.empty()) return open_postgresql(settings);
  return Store::open(settings.state_dir);
}

std::unique_ptr<Store> open_existing_store(const Settings& settings) {
  if (!settings.store.postgresql.empty()) return open_postgresql(settings);
  return Store::open_existing(settings.state_dir);
}

std::string store_location(const Settings& settings) {
  if (!settings.store.postgresql.empty()) return settings.store.postgresql;
  return (settings.state_dir / "herald.db").string();
}

}  // namespace herald
