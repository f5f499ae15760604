#pragma once
// Runs a call on the event loop's thread from another thread and waits for
// its result. The store has one writer, the loop; the status server's
// threads and the connectors' workers reach it through here.

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace herald {

/// The loop did not run the call within its deadline.
class LoopBusy : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Runs `f` on `io`'s thread (inline when called there) and returns what it
/// returned, rethrowing what it threw. With a deadline, throws LoopBusy when
/// the loop has not run it in time; the call is shared with the loop, so it
/// may still run later and leaves nothing dangling.
template <typename F>
auto run_on_loop(boost::asio::io_context& io, F f, std::optional<std::chrono::seconds> deadline = std::nullopt)
    -> decltype(f()) {
  if (io.get_executor().running_in_this_thread()) return f();
  using R = decltype(f());
  auto task = std::make_shared<std::packaged_task<R()>>(std::move(f));
  auto result = task->get_future();
  boost::asio::post(io, [task] { (*task)(); });
  if (deadline && result.wait_for(*deadline) != std::future_status::ready)
    throw LoopBusy("the event loop did not answer within " + std::to_string(deadline->count()) + " s");
  return result.get();
}

}  // namespace herald
