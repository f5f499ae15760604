#include "config/yaml_reader.hpp"

#include "config/duration.hpp"

#include <yaml-cpp/depthguard.h>

#include <charconv>
#include <cmath>
#include <set>

namespace herald {

YamlDocument parse_yaml(const std::string& text, const std::filesystem::path& file, Diagnostics& diags,
                        std::size_t max_bytes) {
  YamlDocument doc;
  if (text.size() > max_bytes) {
    diags.error({file.string(), 0, 0}, "file is " + std::to_string(text.size()) + " bytes, more than the limit of " +
                                           std::to_string(max_bytes));
    return doc;
  }
  try {
    // yaml-cpp guards its recursive descent (DeepRecursion), so a deeply
    // nested file throws here instead of overflowing the stack.
    doc.root = YAML::Load(text);
    doc.ok = true;
  } catch (const YAML::DeepRecursion& e) {
    diags.error({file.string(), e.mark.line + 1, e.mark.column + 1}, "nesting is too deep");
  } catch (const YAML::Exception& e) {
    Location where{file.string(), 0, 0};
    if (!e.mark.is_null()) where = {file.string(), e.mark.line + 1, e.mark.column + 1};
    diags.error(where, "YAML syntax: " + e.msg);
  } catch (const std::exception& e) {
    diags.error({file.string(), 0, 0}, std::string("cannot read YAML: ") + e.what());
  }
  return doc;
}

Location YamlReader::at(const YAML::Node& node) const {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return {file_.string(), 0, 0};
  return {file_.string(), m.line + 1, m.column + 1};
}

void YamlReader::error(const YAML::Node& node, std::string message) { diags_.error(at(node), std::move(message)); }

void YamlReader::warning(const YAML::Node& node, std::string message) {
  diags_.warning(at(node), std::move(message));
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "'" + node.Scalar() + "'";
}

bool YamlReader::each_entry(const YAML::Node& node, std::string_view what,
                            std::initializer_list<std::string_view> allowed,
                            const std::function<bool(const std::string&)>& allow_other,
                            const std::function<void(const std::string&, const YAML::Node&, const YAML::Node&)>& each) {
  if (!node.IsMap()) {
    error(node, std::string(what) + " must be a mapping of key: value, not " + describe(node));
    return false;
  }
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      error(key, std::string("a key in ") + std::string(what) + " must be a plain name");
      continue;
    }
    const std::string name = key.Scalar();
    if (!seen.insert(name).second) {
      error(key, "duplicate key '" + name + "' in " + std::string(what));
      continue;
    }
    bool known = false;
    for (auto a : allowed) known = known || a == name;
    if (!known && !(allow_other && allow_other(name))) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      error(key, "unknown key '" + name + "' in " + std::string(what) + " (expected one of: " + list + ")");
      continue;
    }
    each(name, key, it->second);
  }
  return true;
}

std::optional<std::string> YamlReader::string(const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar()) {
    error(node, std::string(what) + " must be a text, not " + describe(node));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::string> YamlReader::text(const YAML::Node& node, std::string_view what) {
  auto s = string(node, what);
  if (s && s->empty()) {
    error(node, std::string(what) + " must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& node, std::string_view what) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  error(node, std::string(what) + " must be true or false, not " + describe(node));
  return std::nullopt;
}

std::optional<long long> YamlReader::integer(const YAML::Node& node, std::string_view what, long long min,
                                             long long max) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) {
      if (v < min || v > max) {
        error(node, std::string(what) + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                        ", not " + s);
        return std::nullopt;
      }
      return v;
    }
  }
  error(node, std::string(what) + " must be a whole number, not " + describe(node));
  return std::nullopt;
}

std::optional<double> YamlReader::number(const YAML::Node& node, std::string_view what, double min, double max) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty() && std::isfinite(v)) {
      if (v < min || v > max) {
        error(node, std::string(what) + " must be between " + std::to_string(min).substr(0, 4) + " and " +
                        std::to_string(max).substr(0, 4) + ", not " + s);
        return std::nullopt;
      }
      return v;
    }
  }
  error(node, std::string(what) + " must be a number, not " + describe(node));
  return std::nullopt;
}

std::optional<std::chrono::seconds> YamlReader::duration(const YAML::Node& node, std::string_view what,
                                                         std::chrono::seconds min, std::chrono::seconds max) {
  if (node.IsScalar()) {
    if (auto d = parse_duration(node.Scalar())) {
      if (*d < min || *d > max) {
        error(node, std::string(what) + " must be between " + format_duration(min) + " and " + format_duration(max) +
                        ", not " + node.Scalar());
        return std::nullopt;
      }
      return d;
    }
  }
  error(node, std::string(what) + " must be a duration such as 30s, 15m, 1h30m or 3d, not " + describe(node));
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlReader::string_list(const YAML::Node& node, std::string_view what) {
  if (!node.IsSequence()) {
    error(node, std::string(what) + " must be a list such as [a, b], not " + describe(node));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& item : node) {
    if (auto s = text(item, std::string(what) + " item")) {
      out.push_back(*s);
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace herald
