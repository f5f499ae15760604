#pragma once
// One node of a YAML document as herald reads it: a scalar, a list or a
// mapping, with the 1-based line and column where it starts. Built from
// libfyaml's event parser by parse_yaml (yaml_reader.hpp); a node is a cheap
// handle, so copies share the same text and children (an alias too).
//
// The names follow YAML's own, not yaml-cpp's: a plain `~`, `null` or empty
// value is null, not a scalar; a key not in a mapping is undefined.

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald {

class YamlNode;
using YamlEntry = std::pair<YamlNode, YamlNode>;

class YamlNode {
 public:
  enum class Kind : unsigned char { null, scalar, list, map };

  /// An undefined node (a key a mapping does not have).
  YamlNode() = default;

  bool defined() const { return d_ != nullptr; }
  bool is_null() const { return d_ && d_->kind == Kind::null; }
  bool is_scalar() const { return d_ && d_->kind == Kind::scalar; }
  bool is_list() const { return d_ && d_->kind == Kind::list; }
  bool is_map() const { return d_ && d_->kind == Kind::map; }

  /// A scalar's text (escapes and folding applied); empty for other nodes.
  const std::string& scalar() const { return d_ ? d_->value : empty_text(); }
  /// Where the node starts, 1-based, columns in bytes; 0 for an undefined node.
  int line() const { return d_ ? d_->line : 0; }
  int column() const { return d_ ? d_->column : 0; }

  /// A list's items, a mapping's entries (key, value) in file order.
  std::span<const YamlNode> items() const { return d_ ? std::span<const YamlNode>(d_->items) : std::span<const YamlNode>(); }
  std::span<const YamlEntry> entries() const {
    return d_ ? std::span<const YamlEntry>(d_->entries) : std::span<const YamlEntry>();
  }
  /// Items of a list or entries of a mapping; 0 otherwise.
  std::size_t size() const { return d_ ? d_->items.size() + d_->entries.size() : 0; }
  /// `for (const YamlNode& item : list)`.
  const YamlNode* begin() const { return items().data(); }
  const YamlNode* end() const { return items().data() + items().size(); }

  /// A mapping's value at a scalar key (the first, if it is given twice);
  /// an undefined node when there is none or this is not a mapping.
  const YamlNode& operator[](std::string_view key) const;
  /// A list's item; an undefined node past its end.
  const YamlNode& operator[](std::size_t index) const;

  /// Building (parse_yaml and tests).
  static YamlNode make(Kind kind, int line, int column, std::string value = {});
  void add_item(YamlNode item);
  void add_entry(YamlNode key, YamlNode value);

 private:
  struct Data {
    Kind kind = Kind::null;
    int line = 0, column = 0;
    std::string value;
    std::vector<YamlNode> items;
    std::vector<YamlEntry> entries;
  };
  static const std::string& empty_text();
  static const YamlNode& undefined();

  std::shared_ptr<Data> d_;
};

}  // namespace herald
