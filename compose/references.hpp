#pragma once
// Cross-post links: `{link POST}` and `{link POST@CHANNEL}` in a post's text
// stand for the public URL of another delivery once it is published.

#include "config/calendar.hpp"
#include "config/diagnostics.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// One placeholder in a text.
struct Reference {
  std::size_t begin = 0, end = 0;  ///< byte offsets of the whole `{link ...}`
  std::string post;
  std::string channel;             ///< empty when written without @CHANNEL
};

/// The placeholders of a text, in order. Text that starts like a placeholder
/// but is not one (`{link}`, `{link a b}`, unclosed) is listed in `malformed`.
std::vector<Reference> find_references(std::string_view text, std::vector<std::string>* malformed = nullptr);

/// Every text of a post that is sent to `channel` and may hold placeholders,
/// each with the name of its field ("text", "x.text", "thread[1]", ...).
std::vector<std::pair<std::string, std::string>> channel_texts(const Post& post, const std::string& channel);

/// Which deliveries each delivery waits for, by POST@CHANNEL key.
struct ReferenceGraph {
  std::map<std::string, std::vector<std::string>> depends_on;
  const std::vector<std::string>& of(const std::string& post_at_channel) const;
};

/// Resolves every placeholder of a calendar and reports, at the field's
/// file:line:col: unknown posts, a post with several channels named without
/// @CHANNEL (listing the choices), a channel the target is not published on,
/// a recurring target (which occurrence would it be?), a static target without
/// `url`, and cycles.
ReferenceGraph check_references(const Calendar& calendar, const Settings& settings, Diagnostics& diags);

/// A text with its placeholders replaced.
struct Rendered {
  std::string text;
  std::vector<std::string> missing;  ///< keys whose URL is not known yet
};

/// Replaces each placeholder by `url_of(KEY)` (KEY = POST@CHANNEL, the channel
/// filled in from `post_channels` when the text names none). A placeholder
/// whose URL is unknown stays as written and its key is listed in `missing`.
Rendered render_references(std::string_view text, const Calendar& calendar,
                           const std::function<std::optional<std::string>(const std::string& key)>& url_of);

}  // namespace herald
