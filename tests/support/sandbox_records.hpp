#pragma once
// What the connector tests against the in-process sandbox
// (tests/connectors/<platform>/) ask of it alike: its address as a channel's
// api_base, one platform's records, and waiting until a request a delay
// fault held has been let go. Header-only: only tests that link
// herald_sandbox include it.

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/sandbox/sandbox.hpp"

namespace herald::testing {

/// The sandbox's address as a channel's api_base: "http://127.0.0.1:PORT/".
inline std::string sandbox_api_base(const Sandbox& sandbox) {
  return "http://127.0.0.1:" + std::to_string(sandbox.port()) + "/";
}

/// The creates the sandbox recorded for `platform`, in the order made.
inline std::vector<Sandbox::Create> creates_on(const Sandbox& sandbox, std::string_view platform) {
  std::vector<Sandbox::Create> out;
  for (const auto& c : sandbox.creates())
    if (c.platform == platform) out.push_back(c);
  return out;
}

/// Waits (on the sandbox's state, up to 10 s) until no request is held by a
/// delay fault and `platform` has `count` creates, a request let go having
/// made its create after the client gave up; fails the test if one is still
/// held.
inline void wait_for_creates(const Sandbox& sandbox, std::string_view platform, std::size_t count) {
  for (int i = 0; i < 2000 && (sandbox.held() > 0 || creates_on(sandbox, platform).size() < count); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(sandbox.held(), 0);
}

}  // namespace herald::testing
