#include "daemon/loop_connector_state.hpp"

#include <boost/asio/post.hpp>

#include <future>

namespace herald {

LoopConnectorState::LoopConnectorState(boost::asio::io_context& io, Store& store, const Clock& clock)
    : io_(io), store_(store), clock_(clock) {}

template <typename F>
auto LoopConnectorState::on_loop(F f) -> decltype(f()) {
  if (io_.get_executor().running_in_this_thread()) return f();
  std::packaged_task<decltype(f())()> task(std::move(f));
  auto result = task.get_future();
  boost::asio::post(io_, [&task] { task(); });
  return result.get();  // rethrows what the store threw
}

std::optional<std::string> LoopConnectorState::get(const std::string& key) {
  return on_loop([&] { return store_.connector_state(key); });
}

void LoopConnectorState::put(const std::string& key, const std::string& value) {
  on_loop([&] { store_.put_connector_state(key, value, clock_.now()); });
}

void LoopConnectorState::erase(const std::string& key) {
  on_loop([&] { store_.erase_connector_state(key, clock_.now()); });
}

}  // namespace herald
