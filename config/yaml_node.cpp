#include "config/yaml_node.hpp"

namespace herald {

const std::string& YamlNode::empty_text() {
  static const std::string empty;
  return empty;
}

const YamlNode& YamlNode::undefined() {
  static const YamlNode none;
  return none;
}

const YamlNode& YamlNode::operator[](std::string_view key) const {
  for (const auto& [k, v] : entries())
    if (k.is_scalar() && k.scalar() == key) return v;
  return undefined();
}

const YamlNode& YamlNode::operator[](std::size_t index) const {
  const auto list = items();
  return index < list.size() ? list[index] : undefined();
}

YamlNode YamlNode::make(Kind kind, int line, int column, std::string value) {
  YamlNode n;
  n.d_ = std::make_shared<Data>();
  n.d_->kind = kind;
  n.d_->line = line;
  n.d_->column = column;
  n.d_->value = std::move(value);
  return n;
}

void YamlNode::add_item(YamlNode item) { d_->items.push_back(std::move(item)); }

void YamlNode::add_entry(YamlNode key, YamlNode value) { d_->entries.emplace_back(std::move(key), std::move(value)); }

}  // namespace herald
