#include "connectors/worker_pool.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace herald {

WorkerPool::WorkerPool(std::size_t threads) : size_(std::max<std::size_t>(threads, 1)), pool_(size_) {}

WorkerPool::~WorkerPool() { stop(); }

bool WorkerPool::submit(std::function<void()> work) {
  std::lock_guard lock(mutex_);
  if (!accepting_) return false;
  boost::asio::post(pool_, std::move(work));
  return true;
}

void WorkerPool::stop() {
  {
    std::lock_guard lock(mutex_);
    accepting_ = false;
  }
  // join() without thread_pool::stop() first drains the queue: a job that was
  // accepted has a caller waiting for its result, so it runs rather than
  // vanishing. Each connector call has its own deadline, which bounds this.
  std::lock_guard join_lock(join_mutex_);
  pool_.join();
}

}  // namespace herald
