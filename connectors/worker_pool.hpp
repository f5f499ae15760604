#pragma once
// A few worker threads for blocking calls (connector HTTP, files, commands),
// with results handed back to the caller's event loop.

#include <boost/asio/thread_pool.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

namespace herald {

/// Runs a function on the caller's event loop; the daemon passes
/// `[&io](auto f) { boost::asio::post(io, std::move(f)); }`.
using PostBack = std::function<void(std::function<void()>)>;

/// A fixed number of threads that run submitted jobs.
class WorkerPool {
 public:
  /// Starts `threads` workers (at least one).
  explicit WorkerPool(std::size_t threads);
  /// Calls stop().
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Queues `work` for a worker. Every job accepted here runs, even if stop()
  /// follows; returns false, and drops `work`, once stop() has begun.
  /// `work` must not throw (an escaping exception ends the process, as with std::thread).
  bool submit(std::function<void()> work);
  /// Stops accepting jobs, waits for the accepted ones (running and queued)
  /// to finish and joins the threads. Idempotent; not to be called from a job.
  void stop();
  /// The number of worker threads.
  std::size_t size() const { return size_; }

 private:
  std::size_t size_;
  boost::asio::thread_pool pool_;
  std::mutex mutex_;       // guards accepting_ against a submit racing stop
  std::mutex join_mutex_;  // two stop() calls must not join the threads at once
  bool accepting_ = true;
};

/// Runs `work()` on a worker, then `done(result)` (or `done()` when `work`
/// returns void) through `post_back`, so `done` runs on the caller's loop.
/// If `work` throws, the exception is rethrown on the loop instead of calling
/// `done`. Work, done and the result may be move-only. Returns false, running
/// nothing, if the pool has stopped.
template <class Work, class Done>
bool run_async(WorkerPool& pool, PostBack post_back, Work work, Done done) {
  using Result = std::invoke_result_t<Work&>;
  // std::function needs copyable targets; sharing the state keeps move-only
  // work, done and results usable.
  struct State {
    Work work;
    Done done;
    PostBack post_back;
    std::conditional_t<std::is_void_v<Result>, bool, std::optional<Result>> result{};
    std::exception_ptr error;
  };
  auto state = std::make_shared<State>(State{std::move(work), std::move(done), std::move(post_back), {}, {}});
  return pool.submit([state] {
    try {
      if constexpr (std::is_void_v<Result>) {
        state->work();
        state->result = true;
      } else {
        state->result.emplace(state->work());
      }
    } catch (...) {
      state->error = std::current_exception();
    }
    auto post_back_fn = std::move(state->post_back);
    post_back_fn([state] {
      if (state->error) std::rethrow_exception(state->error);
      if constexpr (std::is_void_v<Result>) state->done();
      else state->done(std::move(*state->result));
    });
  });
}

}  // namespace herald
