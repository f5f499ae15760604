#include "daemon/status_listener.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <limits>
#include <list>
#include <stdexcept>
#include <thread>

namespace herald {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

// One socket type for TCP and unix sockets alike: the connection code does
// not care which, only the accept step (peer identity, TCP_NODELAY) does.
using Protocol = asio::generic::stream_protocol;
using Socket = Protocol::socket;
using Acceptor = asio::basic_socket_acceptor<Protocol>;
using Clock = std::chrono::steady_clock;
using Parser = http::request_parser<http::string_body>;

// The request line's method, spaces and version, on top of the target.
constexpr std::size_t kRequestLineSlack = 32;
// Eviction and refusal under a flood happen per connection; one line a
// minute says so without flooding the journal.
constexpr std::chrono::seconds kLimitLogEvery{60};
constexpr std::size_t kDrainChunk = 4096;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool valid_port(std::string_view text, int& port) {
  if (text.empty() || text.size() > 5) return false;
  int n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n > 65535) return false;
  port = n;
  return true;
}

std::string bind_failure(int err) {
  if (err == EADDRINUSE) return "address already in use (is another herald running?)";
  if (err == EADDRNOTAVAIL) return "address not available on this machine";
  if (err == EACCES) return "permission denied";
  if (err != 0) return std::strerror(err);
  return "cannot bind";
}

// Whether something accepts connections on the unix socket at `path`.
bool unix_socket_alive(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const bool alive = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return alive;
}

// Who is on the other end, for the per-client cap: the peer's uid on a unix
// socket (every local user is one client however many sockets it opens),
// the IP address on TCP; an IPv6 peer by its /64, which one host usually
// holds whole.
std::string peer_identity(int fd) {
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return "unknown peer";
  char text[INET6_ADDRSTRLEN] = {};
  switch (peer.ss_family) {
    case AF_UNIX: {
      ucred cred{};
      socklen_t n = sizeof cred;
      if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &n) == 0) return "uid " + std::to_string(cred.uid);
      return "unix peer";
    }
    case AF_INET: {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&peer);
      ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
      return text;
    }
    case AF_INET6: {
      in6_addr a = reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_addr;
      if (IN6_IS_ADDR_LOOPBACK(&a) || IN6_IS_ADDR_V4MAPPED(&a)) {
        ::inet_ntop(AF_INET6, &a, text, sizeof text);
        return text;
      }
      std::fill(a.s6_addr + 8, a.s6_addr + 16, std::uint8_t{0});
      ::inet_ntop(AF_INET6, &a, text, sizeof text);
      return std::string(text) + "/64";
    }
    default: return "unknown peer";
  }
}

int bound_tcp_port(int fd) {
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return 0;
  if (local.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&local)->sin_port);
  if (local.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&local)->sin6_port);
  return 0;
}

bool says_close(const StatusHttpReply& reply) {
  for (const auto& [name, value] : reply.headers)
    if (beast::iequals(name, "Connection") && beast::iequals(value, "close")) return true;
  return false;
}

}  // namespace

std::optional<ListenAddress> parse_listen(std::string_view text, std::string& error) {
  ListenAddress a;
  if (text.starts_with("unix:")) {
    a.unix_socket = true;
    a.host = std::string(text.substr(5));
    if (a.host.empty() || a.host.front() != '/') {
      error = "a unix socket needs an absolute path (unix:/run/herald/status.sock)";
      return std::nullopt;
    }
    if (a.host.size() >= sizeof(sockaddr_un{}.sun_path) || a.host.find('\0') != std::string::npos) {
      error = "the unix socket path is too long";
      return std::nullopt;
    }
    return a;
  }
  const std::string form = "expected HOST:PORT, [IPV6]:PORT or unix:/path";
  std::string_view host, port;
  if (text.starts_with("[")) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) {
      error = form;
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    in6_addr v6{};
    if (::inet_pton(AF_INET6, std::string(host).c_str(), &v6) != 1) {
      error = "'" + std::string(host) + "' is not an IPv6 address";
      return std::nullopt;
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      error = form;
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      error = "write an IPv6 address in brackets: [::1]:8787";
      return std::nullopt;
    }
  }
  if (host.empty()) {
    error = "the host is missing (" + form + ")";
    return std::nullopt;
  }
  if (!valid_port(port, a.port)) {
    error = "'" + std::string(port) + "' is not a port (0 to 65535)";
    return std::nullopt;
  }
  a.host = std::string(host);
  return a;
}

class StatusListener::Impl {
 public:
  class Connection;

  Impl(const ListenAddress& address, StatusLimits limits, StatusRoutes routes);
  ~Impl() { stop(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void run();
  void stop();
  [[nodiscard]] int port() const { return port_; }

  // For the connections, all on the io thread but handle().
  [[nodiscard]] const StatusLimits& limits() const { return limits_; }
  [[nodiscard]] const StatusRoutes& routes() const { return routes_; }
  [[nodiscard]] bool stopping() const { return stopping_.load(); }
  void handle(std::shared_ptr<Connection> connection, StatusHttpRequest request, bool keep_alive);
  void forget(Connection& connection);

 private:
  void bind_tcp(const ListenAddress& address);
  void bind_unix(const std::string& path);
  void accept();
  void on_accept(const error_code& ec, Socket socket);
  bool make_room(const std::string& client);
  bool evict_oldest(const std::string* client);
  void note_limit(bool evicted, const std::string& client);
  void log(Priority priority, const std::string& line) const {
    if (routes_.log) routes_.log(priority, line);
  }

  StatusLimits limits_;
  StatusRoutes routes_;
  bool unix_socket_ = false;
  asio::io_context io_{1};
  Acceptor acceptor_{io_};
  asio::steady_timer backoff_{io_};
  // Every open connection, oldest first; owned here until it closes.
  std::list<std::shared_ptr<Connection>> connections_;
  std::optional<asio::thread_pool> health_pool_, read_pool_, action_pool_;
  std::thread io_thread_;
  std::atomic<bool> stopping_{false};
  bool accept_failing_ = false;
  std::optional<Clock::time_point> last_limit_log_;
  std::size_t evicted_ = 0, refused_ = 0;  // since the last limit log line
  std::string unix_path_;  // removed again at stop
  int port_ = 0;
};

// One client connection, driven on the io thread: read a request within its
// deadline, hand it to a lane, write the answer within the write deadline,
// then wait (idle) for the next request or close. The phase says what the
// deadline timer guards and whether the connection may be evicted.
class StatusListener::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class Phase { reading, idle, handling, writing, closing, closed };

  Connection(Impl& owner, Socket socket, std::string client)
      : owner_(owner), socket_(std::move(socket)), timer_(socket_.get_executor()), client_(std::move(client)) {}

  /// The first request; its deadline runs from the accept.
  void start() { read_request(Clock::now()); }
  /// Answers `status` without reading anything and closes (no room left).
  void refuse(int status) {
    refused_ = true;
    write(owner_.routes().refusal(status), false);
  }
  /// Which connections a cap closes first (docs/api.md "Limits"); `none`: never.
  enum class Tier { waiting, unread_answer, queued, none };
  [[nodiscard]] Tier tier() const {
    switch (phase_) {
      case Phase::reading:
      case Phase::idle:
      case Phase::closing: return Tier::waiting;
      case Phase::writing: return Tier::unread_answer;
      case Phase::handling: return task_ == Task::queued ? Tier::queued : Tier::none;
      case Phase::closed: return Tier::none;
    }
    return Tier::none;
  }
  /// When its current phase began: within a tier the oldest is evicted first.
  [[nodiscard]] Clock::time_point since() const { return since_; }
  [[nodiscard]] const std::string& client() const { return client_; }
  /// The server stops: a waiting connection closes now, one being handled after its answer.
  void server_stopping() {
    if (tier() == Tier::waiting) close();
  }
  /// On the handler thread: true when the request may run (it was not evicted while queued).
  bool claim() {
    Task expected = Task::queued;
    return task_.compare_exchange_strong(expected, Task::running);
  }
  /// On the io thread: true when the request had not started and never will.
  bool cancel_queued() {
    Task expected = Task::queued;
    return task_.compare_exchange_strong(expected, Task::cancelled);
  }

  /// Sends the answer; then the next request, or a graceful close.
  void write(StatusHttpReply reply, bool keep_alive) {
    if (phase_ == Phase::closed) return;
    phase_ = Phase::writing;
    task_ = Task::none;
    since_ = Clock::now();
    arm(since_ + owner_.limits().write_timeout);
    ++served_;
    const bool last = !keep_alive || refused_ || owner_.stopping() || says_close(reply) ||
                      served_ >= owner_.limits().keep_alive_max;
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(reply.status));
    for (auto& [name, value] : reply.headers)
      if (!beast::iequals(name, "Connection") && !beast::iequals(name, "Content-Length")) response_.insert(name, value);
    response_.keep_alive(!last);
    if (head_) {
      response_.content_length(reply.body.size());  // what GET would send, without it
    } else {
      response_.body() = std::move(reply.body);
      response_.prepare_payload();
    }
    http::async_write(socket_, response_, [self = shared_from_this(), last](const error_code& ec, std::size_t) {
      self->on_write(ec, last);
    });
  }

  void close() {
    if (phase_ == Phase::closed) return;
    const auto keep = shared_from_this();  // forget() drops the owner's reference
    phase_ = Phase::closed;
    timer_.cancel();
    error_code ignored;
    socket_.close(ignored);
    owner_.forget(*this);
  }

  std::list<std::shared_ptr<Connection>>::iterator slot;  ///< in owner_.connections_, when registered
  bool registered = false;

 private:
  // Closes the connection when the current phase's deadline passes. A wait
  // that completes after the deadline moved on (the timer fired while its
  // operation finished) sees a later expiry and leaves it open.
  void arm(Clock::time_point deadline) {
    timer_.expires_at(deadline);
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (ec || self->phase_ == Phase::handling || self->phase_ == Phase::closed) return;
      if (self->timer_.expiry() <= Clock::now()) self->close();
    });
  }

  void read_request(Clock::time_point start) {
    phase_ = Phase::reading;
    since_ = start;
    arm(start + owner_.limits().request_timeout);
    const StatusLimits& limits = owner_.limits();
    parser_.emplace();
    // Beast counts the request line and the headers together; the target
    // and the headers are told apart (414, 431) once the header is parsed.
    const std::size_t header_limit = std::min<std::size_t>(
        limits.max_target + limits.max_header_bytes + kRequestLineSlack, std::numeric_limits<std::uint32_t>::max());
    parser_->header_limit(static_cast<std::uint32_t>(header_limit));
    parser_->body_limit(static_cast<std::uint64_t>(limits.max_body));
    http::async_read_header(socket_, buffer_, *parser_, [self = shared_from_this()](const error_code& ec, std::size_t) {
      self->on_header(ec);
    });
  }

  void on_header(const error_code& ec) {
    if (ec) return on_read_error(ec);
    const auto& request = parser_->get();
    // curl and others wait (a second) for this before they send a large body.
    const bool expects = beast::iequals(request[http::field::expect], "100-continue");
    if (expects && request.version() >= 11 && !parser_->is_done()) {
      asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](const error_code& e, std::size_t) {
                          if (e) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return dispatch();
    http::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](const error_code& ec, std::size_t) {
      if (ec) return self->on_read_error(ec);
      self->dispatch();
    });
  }

  // An expected condition first (the client left, a deadline or eviction
  // closed the socket), then the limits, then any other malformed request.
  void on_read_error(const error_code& ec) {
    if (phase_ == Phase::closed) return;
    if (ec == http::error::header_limit) return refuse_request(request_line_too_long() ? 414 : 431);
    if (ec == http::error::body_limit) return refuse_request(413);
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec.category() != http::make_error_code(http::error::bad_target).category())
      return close();
    refuse_request(400);
  }

  // Whether the header that went over the limit starts with a request line
  // longer than the target limit allows.
  [[nodiscard]] bool request_line_too_long() const {
    const auto data = buffer_.cdata();
    const std::string_view received(static_cast<const char*>(data.data()), data.size());
    const auto end = received.find("\r\n");
    const std::size_t line = end == std::string_view::npos ? received.size() : end;
    return line > owner_.limits().max_target + kRequestLineSlack;
  }

  void refuse_request(int status) {
    version_ = 11;
    head_ = false;
    write(owner_.routes().refusal(status), false);
  }

  void dispatch() {
    phase_ = Phase::handling;
    task_ = Task::queued;
    since_ = Clock::now();
    timer_.cancel();
    auto message = parser_->release();
    parser_.reset();
    head_ = message.method() == http::verb::head;
    version_ = message.version();
    StatusHttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) request.headers.emplace_back(field.name_string(), field.value());
    request.body = std::move(message.body());
    owner_.handle(shared_from_this(), std::move(request), message.keep_alive());
  }

  void on_write(const error_code& ec, bool last) {
    if (ec || phase_ == Phase::closed) return close();
    response_ = {};
    // A refused connection and a stopping server close at once: neither
    // may hold a connection for the grace time.
    if (refused_ || owner_.stopping()) {
      error_code ignored;
      socket_.shutdown(Socket::shutdown_send, ignored);
      return close();
    }
    if (last) return linger();
    if (buffer_.size() > 0) return read_request(Clock::now());  // pipelined
    wait_idle();
  }

  // Kept alive: the next request's deadline starts with its first byte.
  void wait_idle() {
    phase_ = Phase::idle;
    since_ = Clock::now();
    arm(since_ + owner_.limits().keep_alive_timeout);
    socket_.async_wait(Socket::wait_read, [self = shared_from_this()](const error_code& ec) {
      if (ec || self->phase_ != Phase::idle) return self->close();
      self->read_request(Clock::now());
    });
  }

  // After a last answer: end our side, then read and drop what the client
  // still sends (a body we refused), so it reads the answer instead of a
  // reset; bounded in time and bytes.
  void linger() {
    phase_ = Phase::closing;
    since_ = Clock::now();
    arm(since_ + owner_.limits().close_grace);
    error_code ignored;
    socket_.shutdown(Socket::shutdown_send, ignored);
    buffer_.clear();
    drain();
  }

  void drain() {
    socket_.async_read_some(buffer_.prepare(kDrainChunk),
                            [self = shared_from_this()](const error_code& ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > self->owner_.limits().close_drain_max) return self->close();
                              self->drain();
                            });
  }

  Impl& owner_;
  Socket socket_;
  asio::steady_timer timer_;
  // Holds at most one header (the parser's header limit) and one read's
  // worth of body or of a pipelined next request.
  beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  http::response<http::string_body> response_;
  std::string client_;
  Phase phase_ = Phase::reading;
  // While handling: queued for a lane, running there, or cancelled by an
  // eviction before it ran; the io and the handler thread race for it.
  enum class Task { none, queued, running, cancelled };
  std::atomic<Task> task_{Task::none};
  Clock::time_point since_ = Clock::now();
  std::size_t served_ = 0;
  std::size_t drained_ = 0;
  unsigned version_ = 11;
  bool head_ = false;
  bool refused_ = false;
};

StatusListener::Impl::Impl(const ListenAddress& address, StatusLimits limits, StatusRoutes routes)
    : limits_(limits), routes_(std::move(routes)), unix_socket_(address.unix_socket) {
  limits_.max_connections = std::max<std::size_t>(1, limits_.max_connections);
  limits_.max_connections_per_client = std::max<std::size_t>(1, limits_.max_connections_per_client);
  limits_.keep_alive_max = std::max<std::size_t>(1, limits_.keep_alive_max);
  if (address.unix_socket) bind_unix(address.host);
  else bind_tcp(address);
}

// The first address the host resolves to that binds, as getaddrinfo orders
// them. SO_REUSEADDR only: with SO_REUSEPORT a second daemon would silently
// share the port instead of failing to start.
void StatusListener::Impl::bind_tcp(const ListenAddress& address) {
  asio::ip::tcp::resolver resolver(io_);
  error_code ec;
  using Resolver = asio::ip::tcp::resolver;
  const auto results =
      resolver.resolve(address.host, std::to_string(address.port), Resolver::passive | Resolver::numeric_service, ec);
  if (ec) throw std::runtime_error("cannot resolve " + address.host + ": " + ec.message());
  error_code last;
  for (const auto& entry : results) {
    const Protocol::endpoint endpoint(entry.endpoint());
    Acceptor acceptor(io_);
    if (acceptor.open(endpoint.protocol(), last)) continue;
    acceptor.set_option(asio::socket_base::reuse_address(true), last);
    if (acceptor.bind(endpoint, last) || acceptor.listen(asio::socket_base::max_listen_connections, last)) continue;
    acceptor_ = std::move(acceptor);
    port_ = bound_tcp_port(acceptor_.native_handle());
    return;
  }
  throw std::runtime_error(bind_failure(last.value()));
}

void StatusListener::Impl::bind_unix(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code fs_ec;
  const auto st = fs::symlink_status(path, fs_ec);
  if (!fs_ec && fs::exists(st)) {
    if (!fs::is_socket(st)) throw std::runtime_error(path + " exists and is not a socket");
    if (unix_socket_alive(path)) throw std::runtime_error("another process serves on " + path);
    fs::remove(path, fs_ec);  // a stale socket of a previous run
    if (fs_ec) throw std::runtime_error("cannot remove the stale socket: " + fs_ec.message());
  }
  const Protocol::endpoint endpoint{asio::local::stream_protocol::endpoint(path)};
  error_code ec;
  if (acceptor_.open(endpoint.protocol(), ec) || acceptor_.bind(endpoint, ec) ||
      acceptor_.listen(asio::socket_base::max_listen_connections, ec)) {
    error_code ignored;
    acceptor_.close(ignored);
    throw std::runtime_error(bind_failure(ec.value()));
  }
  unix_path_ = path;
  if (::chmod(path.c_str(), 0660) != 0) {
    const int err = errno;
    error_code ignored;
    acceptor_.close(ignored);
    ::unlink(path.c_str());
    unix_path_.clear();
    throw std::runtime_error("cannot make the socket 0660: " + std::string(std::strerror(err)));
  }
  port_ = 0;
}

void StatusListener::Impl::run() {
  if (io_thread_.joinable() || stopping_) throw std::logic_error("status listener already run");
  health_pool_.emplace(1);
  read_pool_.emplace(std::max<std::size_t>(1, limits_.read_handlers));
  action_pool_.emplace(std::max<std::size_t>(1, limits_.action_handlers));
  asio::post(io_, [this] { accept(); });
  io_thread_ = std::thread([this] {
    // A handler that throws must not end the thread (and the process);
    // run() may be called again after an exception.
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        log(Priority::error, std::string("status API: unexpected exception on the io thread: ") + e.what());
      }
    }
  });
}

// Cancelling, not io_context::stop(): the acceptor and every waiting
// connection close now; a request being handled finishes, its answer goes
// out within the write deadline, and then run() runs out of work.
void StatusListener::Impl::stop() {
  if (io_thread_.joinable()) {
    stopping_ = true;
    asio::post(io_, [this] {
      error_code ignored;
      acceptor_.close(ignored);
      backoff_.cancel();
      const std::vector<std::shared_ptr<Connection>> all(connections_.begin(), connections_.end());
      for (const auto& c : all) c->server_stopping();
    });
    io_thread_.join();
  }
  for (auto* pool : {&health_pool_, &read_pool_, &action_pool_})
    if (*pool) {
      (*pool)->join();
      pool->reset();
    }
  if (acceptor_.is_open()) {
    error_code ignored;
    acceptor_.close(ignored);
  }
  if (!unix_path_.empty()) {
    ::unlink(unix_path_.c_str());
    unix_path_.clear();
  }
}

void StatusListener::Impl::accept() {
  acceptor_.async_accept([this](const error_code& ec, Socket socket) { on_accept(ec, std::move(socket)); });
}

// Each turn: take one connection, identify the client, make room under the
// caps (or refuse with 503), start reading it, and accept the next.
void StatusListener::Impl::on_accept(const error_code& ec, Socket socket) {
  if (ec == asio::error::operation_aborted || stopping_) return;
  if (ec) {
    // EMFILE, ENFILE, ENOBUFS...: the connection waits in the kernel's
    // queue; try again shortly rather than spin or give up.
    if (!accept_failing_)
      log(Priority::error, "status API: cannot accept connections (" + ec.message() + "); retrying every " +
                               std::to_string(limits_.accept_backoff.count()) + " ms");
    accept_failing_ = true;
    backoff_.expires_after(limits_.accept_backoff);
    backoff_.async_wait([this](const error_code& e) {
      if (!e && !stopping_) accept();
    });
    return;
  }
  if (accept_failing_) {
    accept_failing_ = false;
    log(Priority::info, "status API: accepting connections again");
  }
  if (!unix_socket_) {
    // Without TCP_NODELAY a small answer written in two parts waits for the
    // client's delayed ACK (about 40 ms) on a kept-alive connection.
    error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  }
  std::string client = peer_identity(socket.native_handle());
  auto connection = std::make_shared<Connection>(*this, std::move(socket), client);
  if (make_room(client)) {
    connection->slot = connections_.insert(connections_.end(), connection);
    connection->registered = true;
    connection->start();
  } else {
    connection->refuse(503);
  }
  accept();
}

// The caps: a client at its own cap loses its oldest evictable connection;
// at the total cap the oldest evictable connection of anyone goes. Only a
// request running in a handler right now is never cut off; there are at
// most as many as handler threads, so with caps above that a newcomer
// always gets in. When nothing can go, the new connection is refused.
bool StatusListener::Impl::make_room(const std::string& client) {
  const auto mine = static_cast<std::size_t>(
      std::count_if(connections_.begin(), connections_.end(), [&](const auto& c) { return c->client() == client; }));
  if (mine >= limits_.max_connections_per_client) {
    const bool evicted = evict_oldest(&client);
    note_limit(evicted, client);
    if (!evicted) return false;
  }
  if (connections_.size() >= limits_.max_connections) {
    const bool evicted = evict_oldest(nullptr);
    note_limit(evicted, client);
    if (!evicted) return false;
  }
  return true;
}

// First a connection that is waiting for its client (an incomplete request,
// an idle keep-alive, a close after the last answer), then one whose client
// does not read its answer, then a request still queued for a handler (it
// has cost nothing yet, and a flood of reads must not crowd out a pause):
// within each, the one in that state longest.
bool StatusListener::Impl::evict_oldest(const std::string* client) {
  using Tier = Connection::Tier;
  for (const Tier tier : {Tier::waiting, Tier::unread_answer, Tier::queued}) {
    std::vector<std::shared_ptr<Connection>> candidates;
    for (const auto& c : connections_)
      if (c->tier() == tier && (!client || c->client() == *client)) candidates.push_back(c);
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const auto& a, const auto& b) { return a->since() < b->since(); });
    for (const auto& c : candidates) {
      // A queued request may have just started on its handler thread.
      if (tier == Tier::queued && !c->cancel_queued()) continue;
      c->close();
      return true;
    }
  }
  return false;
}

void StatusListener::Impl::note_limit(bool evicted, const std::string& client) {
  ++(evicted ? evicted_ : refused_);
  const auto now = Clock::now();
  if (last_limit_log_ && now - *last_limit_log_ < kLimitLogEvery) return;
  log(Priority::warning, "status API: connection limit reached (" + std::to_string(limits_.max_connections_per_client) +
                             " per client, " + std::to_string(limits_.max_connections) + " in all; latest from " +
                             client + "): closed " + std::to_string(evicted_) +
                             " connection(s) to make room and refused " + std::to_string(refused_) +
                             " since the last report");
  last_limit_log_ = now;
  evicted_ = refused_ = 0;
}

// On the lane's threads; the answer goes back to the io thread. The work
// guard keeps run() going until that answer is written, so stop() lets a
// request being handled finish.
void StatusListener::Impl::handle(std::shared_ptr<Connection> connection, StatusHttpRequest request, bool keep_alive) {
  asio::thread_pool& pool = [&]() -> asio::thread_pool& {
    const StatusLane lane = routes_.lane(request);
    if (lane == StatusLane::health) return *health_pool_;
    if (lane == StatusLane::action) return *action_pool_;
    return *read_pool_;
  }();
  asio::post(pool, [this, connection = std::move(connection), request = std::move(request), keep_alive,
                    work = asio::make_work_guard(io_)]() mutable {
    if (!connection->claim()) {
      // Evicted while queued: the connection is closed; let it go on the io thread.
      asio::post(io_, [connection = std::move(connection)] {});
      return;
    }
    StatusHttpReply reply;
    try {
      // Once stopping, queued requests are not put to the daemon any more.
      reply = stopping_ ? routes_.refusal(503) : routes_.answer(request);
    } catch (const std::exception& e) {
      log(Priority::error, std::string("status API: unexpected exception while answering a request: ") + e.what());
      // Nothing may escape a pool thread (it would end the process).
      try {
        reply = routes_.refusal(500);
      } catch (...) {
        reply = StatusHttpReply{500, {}, {}};
      }
    }
    asio::post(io_, [connection = std::move(connection), reply = std::move(reply), keep_alive]() mutable {
      connection->write(std::move(reply), keep_alive);
    });
  });
}

void StatusListener::Impl::forget(Connection& connection) {
  if (!connection.registered) return;
  connection.registered = false;
  connections_.erase(connection.slot);
}

StatusListener::StatusListener(const ListenAddress& address, StatusLimits limits, StatusRoutes routes)
    : impl_(std::make_unique<Impl>(address, limits, std::move(routes))) {}

StatusListener::~StatusListener() = default;

void StatusListener::run() { impl_->run(); }

void StatusListener::stop() { impl_->stop(); }

int StatusListener::port() const { return impl_->port(); }

}  // namespace herald
