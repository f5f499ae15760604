#pragma once
// What the connectors' counters tests (tests/connectors/<platform>/
// *_counters_test.cpp) ask of a CountersResult alike: which kind it is, its
// message, and one counter by the platform's name for it. Header-only.

#include "connectors/connector.hpp"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace herald {

/// How gtest prints a counter: {name, common, value}.
inline void PrintTo(const Counter& c, std::ostream* os) {
  *os << "{" << c.name << ", \"" << c.common << "\", " << c.value << "}";
}

}  // namespace herald

namespace herald::testing {

/// "Counters", "RetryLater", "Failed", "AuthFailed" or "Gone", for messages.
inline std::string kind_of(const CountersResult& result) {
  static constexpr const char* kNames[] = {"Counters", "RetryLater", "Failed", "AuthFailed", "Gone"};
  return kNames[result.index()];
}

/// The result's message ("" for Counters).
inline std::string message_of(const CountersResult& result) {
  return std::visit(
      [](const auto& r) -> std::string {
        if constexpr (requires { r.message; }) {
          return r.message;
        } else {
          return {};
        }
      },
      result);
}

/// "Kind: message", what a failed expectation prints.
inline std::string describe(const CountersResult& result) { return kind_of(result) + ": " + message_of(result); }

/// The value of the counter named `name`, if the result holds it.
inline std::optional<std::int64_t> counter(const CountersResult& result, std::string_view name) {
  const auto* counters = std::get_if<Counters>(&result);
  if (!counters) return std::nullopt;
  for (const Counter& c : counters->values)
    if (c.name == name) return c.value;
  return std::nullopt;
}

}  // namespace herald::testing
