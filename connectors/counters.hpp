#pragma once
// What every connector's read_counters shares (issue 17, `herald report`):
// picking a platform's counters out of its JSON answer under the platform's
// own names, each with the common word it counts as (connector.hpp,
// metric::*), and turning the classification of a refused read into a
// CountersResult.

#include "connectors/connector.hpp"

#include <boost/json/object.hpp>

#include <initializer_list>
#include <string_view>
#include <vector>

namespace herald {

/// A counter a platform's answer may hold: its own name for it and the
/// common word it counts as (metric::*, or "" when it is none of them).
struct CounterField {
  std::string_view name;
  const char* common = "";
};

/// Appends to `out`, in the order of `fields`, each field `object` holds as a
/// number or a string of digits (YouTube sends its statistics as strings).
/// A field the platform left out is left out, never read as 0.
void append_counters(std::vector<Counter>& out, const boost::json::object& object,
                     std::initializer_list<CounterField> fields);

/// Appends to `out`, in the order of `fields`, each metric a Graph insights
/// answer ({"data":[{"name","period","values":[{"value"}]}]}, or
/// "total_value":{"value"} in place of `values`) holds: Facebook post
/// insights and Instagram media insights. A metric the answer leaves out
/// (Instagram's "not available yet") is left out.
void append_insights(std::vector<Counter>& out, const boost::json::object& answer,
                     std::initializer_list<CounterField> fields);

/// A read refused, as classify_* (or a connector's own classifier) judged its
/// answer, as a CountersResult: RetryLater, Failed and AuthFailed as they
/// are. A read changes nothing, so what would be Unsure or Processing for a
/// create is RetryLater, and a create's Duplicate is Failed.
CountersResult counters_problem(PublishResult classified);

}  // namespace herald
