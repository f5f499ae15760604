#pragma once
// A word-level diff of two texts (what `herald diff` shows of a retexted
// delivery). Pure.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// One run of a word diff: text both have, or text only the old or the new one has.
struct WordEdit {
  enum class Op { same, removed, added };
  Op op = Op::same;
  std::string text = {};
  bool operator==(const WordEdit&) const = default;
};

/// The edits that turn `before` into `after`, by words (runs of
/// non-whitespace) and the whitespace between them: a shortest edit, with
/// the whitespace between two changed words taken into the change, and in
/// each changed stretch the removed text before the added text. Joining the
/// same and removed runs gives `before`; the same and added runs, `after`.
std::vector<WordEdit> word_diff(std::string_view before, std::string_view after);

/// The diff with each unchanged run longer than `context` words on both
/// sides shortened to `context` words next to each change and "…" for the
/// rest (the first and last runs keep only the side next to a change).
std::vector<WordEdit> abbreviate(const std::vector<WordEdit>& edits, std::size_t context);

}  // namespace herald
