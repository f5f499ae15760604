#pragma once
// RFC 4180 CSV, read strictly: quoting mistakes are errors at file:line:col,
// never guessed around. herald's own small reader: no CSV library is among
// the dependencies (DESIGN.md), and the importer needs the line each record
// starts on, which is what this reader keeps.

#include "config/diagnostics.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// One field of a record and where it starts (1-based line and byte column).
struct CsvField {
  std::string value = {};
  int line = 0;
  int column = 0;
};

/// One record (a spreadsheet row): its fields, and the line it starts on
/// (a quoted field may span several lines; the record's line is its first).
struct CsvRecord {
  int line = 0;
  std::vector<CsvField> fields = {};
};

/// Reads `text` as RFC 4180 CSV: fields separated by commas, records by
/// CRLF or LF, a field in double quotes may hold commas, line breaks and
/// doubled quotes (""). Also: a UTF-8 byte order mark at the start is
/// skipped, and empty lines are no records. A quote inside an unquoted
/// field, text after a closing quote, an unclosed quote and bytes that are
/// not UTF-8 are errors in `diags` at `file`:line:col; reading stops at the
/// first (what follows cannot be split reliably) and nothing is returned.
std::vector<CsvRecord> read_csv(std::string_view text, const std::string& file, Diagnostics& diags);

}  // namespace herald
