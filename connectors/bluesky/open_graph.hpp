#pragma once
// The Open Graph tags of a web page (ogp.me: <meta property="og:title"
// content="...">), for a Bluesky link card made from the linked page, as
// the Bluesky app makes one when a link is pasted.

#include <string>
#include <string_view>

namespace herald {

/// What a page says about itself for a card; each empty when absent.
struct OpenGraph {
  std::string title;        ///< og:title
  std::string description;  ///< og:description
  std::string image;        ///< og:image, as written (may be relative)
};

/// Reads og:title, og:description and og:image from the <meta> tags before
/// the page's <body> (the first of each wins; `property` or `name`, any
/// case; content's character references decoded). Never fails: a page that
/// is not HTML gives nothing.
OpenGraph read_open_graph(std::string_view html);

}  // namespace herald
