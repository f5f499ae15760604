#pragma once
// Named fault points for the crash test: with HERALD_FAULT=NAME (or NAME:N
// for the N-th time it is reached) the process kills itself with SIGKILL right
// there. Compiled in only when HERALD_FAULT_POINTS is defined (test builds).

namespace herald {

/// Dies here if the environment names this point. A no-op in normal builds.
void fault_point(const char* name);

/// With HERALD_STALL=NAME:SECONDS, blocks the calling thread that long each
/// time it is reached (a stuck event loop, for the /healthz test). A no-op
/// in normal builds.
void stall_point(const char* name);

}  // namespace herald
