#include "daemon/loop_connector_state.hpp"

#include "daemon/on_loop.hpp"

namespace herald {

LoopConnectorState::LoopConnectorState(boost::asio::io_context& io, Store& store, const Clock& clock)
    : io_(io), store_(store), clock_(clock) {}

std::optional<std::string> LoopConnectorState::get(const std::string& key) {
  return run_on_loop(io_, [&] { return store_.connector_state(key); });
}

void LoopConnectorState::put(const std::string& key, const std::string& value) {
  run_on_loop(io_, [&] { store_.put_connector_state(key, value, clock_.now()); });
}

void LoopConnectorState::erase(const std::string& key) {
  run_on_loop(io_, [&] { store_.erase_connector_state(key, clock_.now()); });
}

}  // namespace herald
