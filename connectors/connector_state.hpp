#pragma once
// Small durable state a connector keeps across restarts: a rotated OAuth 2.0
// refresh token (DESIGN.md: persisted before the new access token is used),
// the session URI of a resumable upload (so a restart resumes instead of
// uploading twice). Connectors call it from worker threads; the daemon's
// implementation writes through the store on the event loop and returns only
// once the write is durable.

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace herald {

class ConnectorState {
 public:
  virtual ~ConnectorState() = default;
  /// The value stored under `key`, or nullopt.
  virtual std::optional<std::string> get(const std::string& key) = 0;
  /// Stores `value` under `key`; durable when it returns. Throws on failure.
  virtual void put(const std::string& key, const std::string& value) = 0;
  /// Forgets `key` (no error if absent).
  virtual void erase(const std::string& key) = 0;
};

/// In memory, thread-safe: for tests, and for `herald` commands that publish nothing.
class MemoryConnectorState : public ConnectorState {
 public:
  std::optional<std::string> get(const std::string& key) override {
    std::lock_guard lock(mutex_);
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  void put(const std::string& key, const std::string& value) override {
    std::lock_guard lock(mutex_);
    values_[key] = value;
  }
  void erase(const std::string& key) override {
    std::lock_guard lock(mutex_);
    values_.erase(key);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> values_;
};

}  // namespace herald
