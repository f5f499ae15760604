#pragma once
// Strict, typed reading of YAML nodes that reports every problem with its
// file:line:col instead of throwing, so one run shows all errors of a file.

#include "config/diagnostics.hpp"

#include "config/yaml_node.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace herald {

/// Result of parsing a whole YAML document.
struct YamlDocument {
  YamlNode root;  ///< of the first document; undefined when the text has none
  bool ok = false;
};

/// A list read item by item and not kept: the value of `key` in the root
/// mapping (the first time it is given). The document's node for it is an
/// empty list; `item` gets each item as soon as it is complete, with the
/// root mapping as far as it is read and the item's text as written, so a
/// calendar of 100,000 posts never exists as one tree.
struct YamlStream {
  std::string_view key;
  std::function<void(const YamlNode& item, const YamlNode& root_so_far, std::string_view item_text)> item;
};

/// Parses YAML text; a syntax error, a too-deep nesting or a size over
/// `max_bytes` becomes one diagnostic, never an exception or a crash. One
/// pass of libfyaml's event parser, which follows the YAML spec: an unclosed
/// quote is an error at the quote, not text that swallows the rest of the
/// file. UTF-16 and UTF-32 are read as UTF-8.
YamlDocument parse_yaml(const std::string& text, const std::filesystem::path& file,
                        Diagnostics& diags, std::size_t max_bytes, const YamlStream* stream = nullptr);

/// Reads values out of one file's nodes, reporting into `diags`.
class YamlReader {
 public:
  YamlReader(std::filesystem::path file, Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

  const std::filesystem::path& file() const { return file_; }
  Diagnostics& diags() { return diags_; }

  /// The 1-based location of a node.
  Location at(const YamlNode& node) const;
  void error(const YamlNode& node, std::string message);
  void warning(const YamlNode& node, std::string message);

  /// Calls `each(key, key_node, value)` for every entry of a mapping, in file
  /// order, after reporting duplicate keys and keys not in `allowed` (unless
  /// `allow_other(key)` accepts them). Returns false if `node` is not a mapping.
  bool each_entry(const YamlNode& node, std::string_view what, std::initializer_list<std::string_view> allowed,
                  const std::function<bool(const std::string&)>& allow_other,
                  const std::function<void(const std::string&, const YamlNode&, const YamlNode&)>& each);
  /// The same with the allowed keys built at run time (a channel's, from its kind).
  bool each_entry(const YamlNode& node, std::string_view what, std::span<const std::string_view> allowed,
                  const std::function<bool(const std::string&)>& allow_other,
                  const std::function<void(const std::string&, const YamlNode&, const YamlNode&)>& each);

  std::optional<std::string> string(const YamlNode& node, std::string_view what);
  /// A non-empty string.
  std::optional<std::string> text(const YamlNode& node, std::string_view what);
  std::optional<bool> boolean(const YamlNode& node, std::string_view what);
  std::optional<long long> integer(const YamlNode& node, std::string_view what, long long min, long long max);
  std::optional<double> number(const YamlNode& node, std::string_view what, double min, double max);
  std::optional<std::chrono::seconds> duration(const YamlNode& node, std::string_view what,
                                               std::chrono::seconds min, std::chrono::seconds max);
  /// A sequence of non-empty strings (a single scalar is not accepted).
  std::optional<std::vector<std::string>> string_list(const YamlNode& node, std::string_view what);

  /// Walks a mapping laid out by a table's dotted `paths` ("retry.backoff" is
  /// `backoff` in the mapping under `retry`), in file order, and calls
  /// `each(i, key, value)` for every key that completes paths[i]. Unknown and
  /// duplicate keys are reported as each_entry does, the expected ones taken
  /// from the paths in table order; a mapping inside is named by its path.
  /// Rows `listed(i)` rejects are known but left out of the expected keys.
  void each_path(const YamlNode& node, std::string_view what, std::span<const std::string_view> paths,
                 const std::function<bool(std::size_t)>& listed,
                 const std::function<void(std::size_t, const YamlNode&, const YamlNode&)>& each);

 private:
  std::filesystem::path file_;
  Diagnostics& diags_;
};

/// The kind of a node in words ("a mapping", "a list", "a text", "nothing").
std::string describe(const YamlNode& node);

/// One row of a table of options (STYLE.md 15, after redis' config.c): the
/// key's dotted path in the mapping the table describes, and how its value
/// is read, checked and stored into a T. Most rows are written with `option`.
template <class T>
struct Option {
  std::string_view path;
  /// Reads `value` into `into`, naming it `what` in messages; false, after
  /// reporting why, when the value is not valid.
  std::function<bool(YamlReader&, const YamlNode& key, const YamlNode& value, const std::string& what, T& into)>
      read;
  /// Among the keys an "unknown key" message lists. A row that is not (a key
  /// of another channel kind) is still known: its `read` says why it does
  /// not belong.
  bool listed = true;
  /// When set, a valid value must be given; the message says why:
  /// "settings need 'calendar' (a file or a directory of calendar files)".
  std::string_view needed = {};
};

/// A row whose value `read(reader, value, what)` returns (nullopt after
/// reporting) and `field(into)` stores: `field` names the member, such as
/// `[](Settings& s) -> auto& { return s.publishing.late_window; }`. A check
/// that depends on what is read already (the file's place) takes `into` too:
/// `read(reader, value, what, into)`.
template <class T, class Read, class Field>
Option<T> option(std::string_view path, Read read, Field field) {
  return {.path = path, .read = [read, field](YamlReader& r, const YamlNode&, const YamlNode& value,
                                              const std::string& what, T& into) {
            auto v = [&] {
              if constexpr (std::is_invocable_v<Read, YamlReader&, const YamlNode&, const std::string&, const T&>)
                return read(r, value, what, std::as_const(into));
              else
                return read(r, value, what);
            }();
            if (v) field(into) = std::move(*v);
            return v.has_value();
          }};
}

/// What a table walk found of one row: the value's node if its key was
/// given, and whether the value was valid and stored.
struct Found {
  std::optional<YamlNode> value;
  bool read = false;
};

/// Reads the mapping `node` as `rows` describe it into `into`, reporting
/// every problem, a missing `needed` row too. A row's value is named
/// `prefix` + its path in messages ("publishing.retry.backoff", "channel 'x'
/// min_spacing"). Returns what was found of each row, by its index.
template <class T>
std::vector<Found> read_options(YamlReader& r, const YamlNode& node, std::string_view what,
                                std::string_view prefix, std::span<const Option<T>> rows, T& into) {
  std::vector<std::string_view> paths;
  for (const auto& row : rows) paths.push_back(row.path);
  std::vector<Found> found(rows.size());
  r.each_path(
      node, what, paths, [&](std::size_t i) { return rows[i].listed; },
      [&](std::size_t i, const YamlNode& key, const YamlNode& value) {
        found[i].value.emplace(value);
        found[i].read = rows[i].read(r, key, value, std::string(prefix) + std::string(rows[i].path), into);
      });
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].needed.empty() && !found[i].read)
      r.error(node, std::string(what) + " need '" + std::string(rows[i].path) + "' " + std::string(rows[i].needed));
  }
  return found;
}

/// Readers for `option` rows whose check needs nothing but the value: each
/// reads one, within its bounds, with the message of YamlReader's own.
namespace readers {
inline auto text() {
  return [](YamlReader& r, const YamlNode& n, const std::string& what) { return r.text(n, what); };
}
inline auto boolean() {
  return [](YamlReader& r, const YamlNode& n, const std::string& what) { return r.boolean(n, what); };
}
inline auto string_list() {
  return [](YamlReader& r, const YamlNode& n, const std::string& what) { return r.string_list(n, what); };
}
inline auto number(double min, double max) {
  return [min, max](YamlReader& r, const YamlNode& n, const std::string& what) {
    return r.number(n, what, min, max);
  };
}
inline auto duration(std::chrono::seconds min, std::chrono::seconds max) {
  return [min, max](YamlReader& r, const YamlNode& n, const std::string& what) {
    return r.duration(n, what, min, max);
  };
}
/// A whole number stored as an Int (an `int` field takes `integer<int>`).
template <class Int>
auto integer(Int min, Int max) {
  return [min, max](YamlReader& r, const YamlNode& n, const std::string& what) -> std::optional<Int> {
    if (auto v = r.integer(n, what, min, max)) return static_cast<Int>(*v);
    return std::nullopt;
  };
}
}  // namespace readers

}  // namespace herald
