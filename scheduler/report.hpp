#pragma once
// `herald report` and GET /api/v1/report (DESIGN.md "Editors' workflow
// additions"): what went out in a period and the engagement the platforms
// counted for it (the collector's reads), per channel, campaign, post kind
// or post; the top and bottom posts; and the conversations to answer,
// replies and comments that came since a person last looked.

#include "config/calendar.hpp"
#include "scheduler/store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace herald {

/// What a report groups by.
enum class ReportBy { channel, campaign, kind, post };
std::string_view to_string(ReportBy by);
std::optional<ReportBy> parse_report_by(std::string_view text);

/// The words of the common vocabulary, in the order reports show them.
inline constexpr const char* kReportMetrics[] = {"views", "likes", "shares", "replies", "clicks"};

struct ReportQuery {
  Instant from;  ///< deliveries published in [from, to)
  Instant to;
  ReportBy by = ReportBy::channel;
  /// Conversations: replies gained since then; nullopt: since the last look
  /// (Store::last_look), else since `from`.
  std::optional<Instant> since;
  int top = 5;  ///< how many top and bottom posts
};

/// The sums of the common words (views, likes, ...) over what was read.
using ReportTotals = std::map<std::string, std::int64_t>;

/// likes + shares + replies + clicks: what ranks posts (the reactions a
/// person acted on; not views, which not every platform gives).
std::int64_t engagement_of(const ReportTotals& totals);

/// One published delivery and its counters as last read.
struct ReportPost {
  std::string key;
  std::string post;
  std::string channel;
  std::string campaign;  ///< "" when the post has none (or is no longer in the calendar)
  std::string kind;      ///< promo, help, tip, news, other; "" when no longer in the calendar
  std::string url;
  Instant published_at;
  std::optional<Instant> read_at;  ///< its last read; none yet: no counters
  ReportTotals totals;
  std::vector<EngagementSample> counters;  ///< the platform's own names, as last read
  /// likes + shares + replies + clicks: what top and bottom are ranked by.
  std::int64_t engagement = 0;
};

/// One group's row: a channel, a campaign, a kind or a post.
struct ReportGroup {
  std::string name;
  int posts = 0;  ///< deliveries published in the period
  int read = 0;   ///< of which herald has read counters
  ReportTotals totals;
  std::int64_t engagement = 0;
};

/// A delivery with replies since the last look: someone should answer.
struct Conversation {
  std::string key;
  std::string channel;
  std::string url;
  std::int64_t replies = 0;      ///< as last read
  std::int64_t new_replies = 0;  ///< since the look
  Instant read_at;
};

struct Report {
  ReportQuery query;
  Instant since;  ///< the conversations' start
  std::vector<ReportGroup> groups;  ///< by name
  std::vector<ReportPost> top;      ///< most engagement first (read posts only)
  std::vector<ReportPost> bottom;   ///< least engagement first
  std::vector<Conversation> conversations;  ///< most new replies first
};

/// Builds the report from the store (and the calendar, for each post's
/// campaign and kind; null: none known).
Report build_report(Store& store, const Calendar* calendar, const ReportQuery& query);

}  // namespace herald
