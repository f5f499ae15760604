#include "scheduler/fault.hpp"

#ifdef HERALD_FAULT_POINTS
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#endif

namespace herald {

#ifdef HERALD_FAULT_POINTS
void fault_point(const char* name) {
  static const char* spec = std::getenv("HERALD_FAULT");
  if (!spec || !*spec) return;
  const std::string s = spec;
  const auto colon = s.find(':');
  if (s.compare(0, colon, name) != 0) return;
  static std::atomic<long> hits{0};
  const long wanted = colon == std::string::npos ? 1 : std::atol(s.c_str() + colon + 1);
  if (++hits >= wanted) ::kill(::getpid(), SIGKILL);
}

void stall_point(const char* name) {
  static const char* spec = std::getenv("HERALD_STALL");
  if (!spec || !*spec) return;
  const std::string s = spec;
  const auto colon = s.find(':');
  if (colon == std::string::npos || s.compare(0, colon, name) != 0) return;
  ::sleep(static_cast<unsigned>(std::atoi(s.c_str() + colon + 1)));
}
#else
void fault_point(const char*) {}
void stall_point(const char*) {}
#endif

}  // namespace herald
