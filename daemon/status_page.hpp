#pragma once
// The status page served at GET /: one self-contained HTML document (inline
// CSS and JS, no external assets) that reads /api/v1/status and
// /api/v1/queue with fetch and redraws itself every 10 seconds.

#include <string>
#include <string_view>

namespace herald {

/// The whole page (text/html; charset=utf-8), the same bytes every call.
std::string status_page_html();

/// The Content-Security-Policy the page works under; the status server sends it with the page.
std::string_view status_page_content_security_policy();

}  // namespace herald
