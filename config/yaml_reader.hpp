#pragma once
// Strict, typed reading of yaml-cpp nodes that reports every problem with its
// file:line:col instead of throwing, so one run shows all errors of a file.

#include "config/diagnostics.hpp"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// Result of parsing a whole YAML document.
struct YamlDocument {
  YAML::Node root;
  bool ok = false;
};

/// Parses YAML text; a syntax error, a too-deep nesting or a size over
/// `max_bytes` becomes one diagnostic, never an exception or a crash. The
/// syntax is checked to the YAML spec first (libfyaml), so an unclosed quote
/// is an error at the quote, not text that swallows the rest of the file.
YamlDocument parse_yaml(const std::string& text, const std::filesystem::path& file,
                        Diagnostics& diags, std::size_t max_bytes);

/// Reads values out of one file's nodes, reporting into `diags`.
class YamlReader {
 public:
  YamlReader(std::filesystem::path file, Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

  const std::filesystem::path& file() const { return file_; }
  Diagnostics& diags() { return diags_; }

  /// The 1-based location of a node.
  Location at(const YAML::Node& node) const;
  void error(const YAML::Node& node, std::string message);
  void warning(const YAML::Node& node, std::string message);

  /// Calls `each(key, key_node, value)` for every entry of a mapping, in file
  /// order, after reporting duplicate keys and keys not in `allowed` (unless
  /// `allow_other(key)` accepts them). Returns false if `node` is not a mapping.
  bool each_entry(const YAML::Node& node, std::string_view what, std::initializer_list<std::string_view> allowed,
                  const std::function<bool(const std::string&)>& allow_other,
                  const std::function<void(const std::string&, const YAML::Node&, const YAML::Node&)>& each);
  /// The same with the allowed keys built at run time (a channel's, from its kind).
  bool each_entry(const YAML::Node& node, std::string_view what, std::span<const std::string_view> allowed,
                  const std::function<bool(const std::string&)>& allow_other,
                  const std::function<void(const std::string&, const YAML::Node&, const YAML::Node&)>& each);

  std::optional<std::string> string(const YAML::Node& node, std::string_view what);
  /// A non-empty string.
  std::optional<std::string> text(const YAML::Node& node, std::string_view what);
  std::optional<bool> boolean(const YAML::Node& node, std::string_view what);
  std::optional<long long> integer(const YAML::Node& node, std::string_view what, long long min, long long max);
  std::optional<double> number(const YAML::Node& node, std::string_view what, double min, double max);
  std::optional<std::chrono::seconds> duration(const YAML::Node& node, std::string_view what,
                                               std::chrono::seconds min, std::chrono::seconds max);
  /// A sequence of non-empty strings (a single scalar is not accepted).
  std::optional<std::vector<std::string>> string_list(const YAML::Node& node, std::string_view what);

 private:
  std::filesystem::path file_;
  Diagnostics& diags_;
};

/// The kind of a node in words ("a mapping", "a list", "a text", "nothing").
std::string describe(const YAML::Node& node);

}  // namespace herald
