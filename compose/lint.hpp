#pragma once
// The content lint: long-standing social-media practice as warnings, never
// errors. Help more than sell, stay consistent, do not attack competitors,
// do not flood. Pure.

#include "config/calendar.hpp"
#include "config/diagnostics.hpp"
#include "config/settings.hpp"

#include <string>
#include <vector>

namespace herald {

/// One delivery as the lint sees it.
struct LintItem {
  std::string key;
  const Post* post = nullptr;
  std::string channel;
  Instant at;
};

/// A lint finding, with the deliveries it is about.
struct LintWarning {
  Location where;
  std::string message;
  std::vector<std::string> keys;
};

/// Runs every rule over `items` (any order). Each warning names the posts
/// and the window; a rule that a repeating post breaks again and again is
/// reported once per pair of posts.
std::vector<LintWarning> lint(const std::vector<LintItem>& items, const Settings& settings);

/// Whether `name` occurs in `text` as a whole word, case-insensitively
/// (Unicode letters and digits are word characters).
bool mentions(std::string_view text, std::string_view name);

}  // namespace herald
