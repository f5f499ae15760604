#pragma once
// The store the settings name (DESIGN.md "The store beyond one host"):
// PostgreSQL when store.postgresql is set, with the password read from the
// credential file store.password names; otherwise SQLite in state_dir.

#include "config/settings.hpp"
#include "scheduler/store.hpp"

#include <memory>

namespace herald {

/// The daemon's store, created or migrated as needed. Throws (a
/// CredentialError for the password file, StoreUnavailable, ...) with a
/// message that never holds the password.
std::unique_ptr<Store> open_store(const Settings& settings);

/// The store for a short write by the `herald` command: SQLite's must
/// exist already (Store::open_existing); PostgreSQL's is opened as above.
std::unique_ptr<Store> open_existing_store(const Settings& settings);

/// Where the store is, for people: the SQLite file, or the PostgreSQL URL
/// (which holds no password).
std::string store_location(const Settings& settings);

}  // namespace herald
