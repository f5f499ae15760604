#include "connectors/counters.hpp"

#include "connectors/json_fields.hpp"

#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace herald {

void append_counters(std::vector<Counter>& out, const boost::json::object& object,
                     std::initializer_list<CounterField> fields) {
  for (const CounterField& field : fields) {
    // member_int reads numbers and digit strings alike; a null, a bool or
    // an object is no count.
    if (auto value = member_int(object, field.name)) out.push_back(Counter{std::string(field.name), field.common, *value});
  }
}

void append_insights(std::vector<Counter>& out, const boost::json::object& answer,
                     std::initializer_list<CounterField> fields) {
  const boost::json::value* data = answer.if_contains("data");
  if (!data || !data->is_array()) return;
  for (const CounterField& field : fields) {
    for (const auto& item : data->get_array()) {
      const boost::json::object* metric = item.if_object();
      if (!metric || member_string(*metric, "name") != field.name) continue;
      std::optional<std::int64_t> value;
      if (const boost::json::value* values = metric->if_contains("values");
          values && values->is_array() && !values->get_array().empty() && values->get_array().front().is_object())
        value = member_int(values->get_array().front().get_object(), "value");
      if (const boost::json::object* total = member_object(*metric, "total_value"); !value && total)
        value = member_int(*total, "value");
      if (value) out.push_back(Counter{std::string(field.name), field.common, *value});
      break;
    }
  }
}

CountersResult counters_problem(PublishResult classified) {
  return std::visit(
      [](auto&& r) -> CountersResult {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, RetryLater> || std::is_same_v<T, Failed> || std::is_same_v<T, AuthFailed>) {
          return std::move(r);
        } else if constexpr (std::is_same_v<T, Unsure>) {
          return RetryLater{std::nullopt, std::move(r.message)};
        } else if constexpr (std::is_same_v<T, Processing>) {
          return RetryLater{r.after, std::move(r.message)};
        } else if constexpr (std::is_same_v<T, Duplicate>) {
          return Failed{std::move(r.message)};
        } else {
          return Failed{"the platform answered a read as if it had published a post"};
        }
      },
      std::move(classified));
}

}  // namespace herald
