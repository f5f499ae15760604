#pragma once
// ConnectorState over the store, for `herald run`. The store has one writer,
// the event loop's thread; connectors run on worker threads. So each call is
// posted to the loop and the worker waits for it: when put() returns, the
// value is committed (WAL, synchronous=FULL). Called on the loop's own thread
// it runs inline. The loop keeps running while a connector call is in
// flight (the executor holds a work guard), so the wait always ends.

#include "connectors/connector_state.hpp"
#include "scheduler/dispatcher.hpp"
#include "scheduler/store.hpp"

#include <boost/asio/io_context.hpp>

namespace herald {

class LoopConnectorState : public ConnectorState {
 public:
  LoopConnectorState(boost::asio::io_context& io, Store& store, const Clock& clock);
  std::optional<std::string> get(const std::string& key) override;
  void put(const std::string& key, const std::string& value) override;
  void erase(const std::string& key) override;

 private:
  boost::asio::io_context& io_;
  Store& store_;
  const Clock& clock_;
};

}  // namespace herald
