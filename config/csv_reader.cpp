#include "config/csv_reader.hpp"

namespace herald {

namespace {

// The length of the UTF-8 sequence starting at `s[i]` when it is well formed
// (shortest form, no surrogates, at most U+10FFFF); 0 otherwise.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else return 0;
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

}  // namespace

std::vector<CsvRecord> read_csv(std::string_view text, const std::string& file, Diagnostics& diags) {
  std::vector<CsvRecord> records;
  std::size_t i = 0;
  int line = 1;
  std::size_t line_start = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = line_start = 3;
  auto column = [&](std::size_t at) { return static_cast<int>(at - line_start) + 1; };
  auto fail = [&](std::size_t at, const std::string& message) {
    diags.error({file, line, column(at)}, message);
    return std::vector<CsvRecord>{};
  };
  // A line break at `at` (CRLF, LF, or a lone CR as old spreadsheets write):
  // its length, 0 when there is none.
  auto line_break = [&](std::size_t at) -> std::size_t {
    if (at >= text.size()) return 0;
    if (text[at] == '\n') return 1;
    if (text[at] == '\r') return at + 1 < text.size() && text[at + 1] == '\n' ? 2 : 1;
    return 0;
  };

  // Each turn reads one record: fields until a line break or the end.
  while (i < text.size()) {
    if (std::size_t n = line_break(i)) {  // an empty line: no record
      i += n;
      ++line;
      line_start = i;
      continue;
    }
    CsvRecord record;
    record.line = line;
    for (;;) {
      CsvField field;
      field.line = line;
      field.column = column(i);
      if (i < text.size() && text[i] == '"') {
        const int open_line = line, open_column = column(i);
        ++i;
        for (;;) {
          if (i >= text.size()) {
            diags.error({file, open_line, open_column},
                        "unclosed quote: the quoted field that starts here has no closing '\"'");
            return {};
          }
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              field.value += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (std::size_t n = line_break(i)) {
            field.value.append(text.substr(i, n));
            i += n;
            ++line;
            line_start = i;
            continue;
          }
          const std::size_t n = utf8_sequence(text, i);
          if (n == 0) return fail(i, "this byte is not UTF-8 (save the file as UTF-8)");
          field.value.append(text.substr(i, n));
          i += n;
        }
        if (i < text.size() && text[i] != ',' && !line_break(i))
          return fail(i, "text after the closing quote of a field (a quote inside a quoted field is written \"\")");
      } else {
        while (i < text.size() && text[i] != ',' && !line_break(i)) {
          if (text[i] == '"')
            return fail(i, "a quote inside an unquoted field (quote the whole field and double the quote: \"\")");
          const std::size_t n = utf8_sequence(text, i);
          if (n == 0) return fail(i, "this byte is not UTF-8 (save the file as UTF-8)");
          field.value.append(text.substr(i, n));
          i += n;
        }
      }
      record.fields.push_back(std::move(field));
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      break;
    }
    records.push_back(std::move(record));
    if (std::size_t n = line_break(i)) {
      i += n;
      ++line;
      line_start = i;
    }
  }
  return records;
}

}  // namespace herald
