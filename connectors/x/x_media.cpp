#include "connectors/json_fields.hpp"
#include "connectors/x/x_media.hpp"

#include "compose/media.hpp"
#include "connectors/http_result.hpp"
#include "connectors/form_encoding.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <system_error>
#include <utility>
#include <variant>

namespace herald {
namespace {
namespace json = boost::json;

std::optional<std::int64_t> int_member(const json::object& object, std::string_view key) {
  const auto* v = object.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return std::nullopt;
}

// The same result class with `prefix` in front of its message: which file and
// which step the platform's words are about.
PublishResult prefixed(PublishResult result, const std::string& prefix) {
  std::visit(
      [&](auto& r) {
        if constexpr (requires { r.message; }) r.message = prefix + r.message;
      },
      result);
  return result;
}

}  // namespace

std::optional<XMediaKind> x_media_kind(const std::filesystem::path& file) {
  if (auto sniffed = sniff_media(file)) {
    switch (*sniffed) {
      case MediaType::jpeg: return XMediaKind{"image/jpeg", "tweet_image"};
      case MediaType::png: return XMediaKind{"image/png", "tweet_image"};
      case MediaType::gif: return XMediaKind{"image/gif", "tweet_gif"};
      case MediaType::mp4: return XMediaKind{"video/mp4", "tweet_video"};
    }
  }
  // Otherwise by name: WebP is not one compose sniffs, and X, not herald,
  // has the last word on the content (compose/media checked it already).
  std::string ext = file.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".jpg" || ext == ".jpeg") return XMediaKind{"image/jpeg", "tweet_image"};
  if (ext == ".png") return XMediaKind{"image/png", "tweet_image"};
  if (ext == ".webp") return XMediaKind{"image/webp", "tweet_image"};
  if (ext == ".gif") return XMediaKind{"image/gif", "tweet_gif"};
  if (ext == ".mp4" || ext == ".m4v") return XMediaKind{"video/mp4", "tweet_video"};
  return std::nullopt;
}

std::optional<XMediaAnswer> parse_x_media_answer(std::string_view body) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto* data = value.get_object().if_contains("data");
  if (!data || !data->is_object()) return std::nullopt;
  const json::object& d = data->get_object();
  XMediaAnswer out;
  out.id = member_string(d, "id");
  if (out.id.empty()) return std::nullopt;
  out.media_key = member_string(d, "media_key");
  out.expires_after_secs = int_member(d, "expires_after_secs").value_or(0);
  if (const auto* info = d.if_contains("processing_info"); info && info->is_object()) {
    const json::object& p = info->get_object();
    XProcessing processing;
    processing.state = member_string(p, "state");
    const std::int64_t check_after = int_member(p, "check_after_secs").value_or(0);
    processing.check_after = std::chrono::seconds(std::max<std::int64_t>(check_after, 0));
    if (const auto* error = p.if_contains("error"); error && error->is_object()) {
      const json::object& e = error->get_object();
      processing.error = member_string(e, "message");
      std::string detail = member_string(e, "name");
      if (auto code = int_member(e, "code")) {
        detail += (detail.empty() ? "" : ", ") + std::string("code ") + std::to_string(*code);
      }
      if (!detail.empty()) processing.error += (processing.error.empty() ? "" : " ") + ("(" + detail + ")");
    }
    out.processing = std::move(processing);
  }
  return out;
}

MultipartBody multipart_form(const std::vector<std::pair<std::string, std::string>>& fields,
                             std::string_view file_field, std::string_view file_bytes, std::string_view boundary) {
  MultipartBody out;
  out.content_type = "multipart/form-data; boundary=" + std::string(boundary);
  const std::string dash = "--" + std::string(boundary);
  for (const auto& [name, value] : fields) {
    out.body += dash + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  }
  out.body += dash + "\r\nContent-Disposition: form-data; name=\"" + std::string(file_field) +
              "\"; filename=\"blob\"\r\nContent-Type: application/octet-stream\r\n\r\n";
  out.body.append(file_bytes);
  out.body += "\r\n" + dash + "--\r\n";
  return out;
}

XUploaded upload_x_media(const std::filesystem::path& file, const XMediaUploadContext& context) {
  const std::string where = "X media '" + file.filename().string() + "'";
  auto fail = [](PublishResult result) { return XUploaded{{}, 0, std::move(result)}; };
  auto send = [&](std::string method, std::string url, std::string body, std::string content_type) {
    HttpRequest request;
    request.method = std::move(method);
    request.url = std::move(url);
    request.body = std::move(body);
    request.content_type = std::move(content_type);
    return context.send(request);
  };
  // An upload step's answer: the platform's words behind which step failed.
  // classify_x makes a lost answer RetryLater, never Unsure: no post exists.
  auto problem = [&](const XSent& sent, const std::string& step) -> std::optional<PublishResult> {
    if (sent.auth_problem) return prefixed(*sent.auth_problem, where + ", " + step + ": ");
    if (auto p = classify_x(sent.response, context.clock())) return prefixed(std::move(*p), where + ", " + step + ": ");
    return std::nullopt;
  };

  const auto kind = x_media_kind(file);
  if (!kind) return fail(Failed{where + ": not a JPEG, PNG, GIF, WebP or MP4 file"});
  std::error_code ec;
  const std::uintmax_t total = std::filesystem::file_size(file, ec);
  if (ec) return fail(Failed{where + ": cannot read the file: " + ec.message()});
  if (total == 0) return fail(Failed{where + ": the file is empty"});
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(Failed{where + ": cannot open the file"});

  // INITIALIZE: a media id for `total` bytes of this type.
  json::object init{{"media_type", kind->media_type}, {"total_bytes", total}, {"media_category", kind->media_category}};
  XSent sent = send("POST", context.base + "/2/media/upload/initialize", json::serialize(init), "application/json");
  if (auto p = problem(sent, "INITIALIZE")) return fail(std::move(*p));
  auto started = parse_x_media_answer(sent.response.body);
  if (!started) return fail(RetryLater{std::nullopt, where + ", INITIALIZE: answered without a media id"});
  const std::string id = started->id;
  const std::string media_url = context.base + "/2/media/upload/" + percent_encode(id);

  // APPEND the file in order, one segment at a time (never the whole file in memory).
  const std::size_t segment_bytes = std::max<std::size_t>(context.options.segment_bytes, 1);
  const std::uintmax_t segments = (total + segment_bytes - 1) / segment_bytes;
  std::string chunk;
  for (std::uintmax_t index = 0; index < segments; ++index) {
    const auto length =
        static_cast<std::size_t>(std::min<std::uintmax_t>(segment_bytes, total - index * segment_bytes));
    chunk.resize(length);
    in.read(chunk.data(), static_cast<std::streamsize>(length));
    if (static_cast<std::size_t>(in.gcount()) != length) {
      return fail(Failed{where + ": the file changed while it was being uploaded"});
    }
    const MultipartBody form =
        multipart_form({{"segment_index", std::to_string(index)}}, "media", chunk, context.boundary());
    sent = send("POST", media_url + "/append", form.body, form.content_type);
    if (auto p = problem(sent, "APPEND segment " + std::to_string(index + 1) + " of " + std::to_string(segments))) {
      return fail(std::move(*p));
    }
  }

  // FINALIZE, then STATUS while X processes the media (video, GIF).
  sent = send("POST", media_url + "/finalize", {}, {});
  if (auto p = problem(sent, "FINALIZE")) return fail(std::move(*p));
  auto answer = parse_x_media_answer(sent.response.body);
  if (!answer) return fail(RetryLater{std::nullopt, where + ", FINALIZE: answered without a media id"});
  std::int64_t expires = answer->expires_after_secs;
  std::optional<XProcessing> processing = answer->processing;
  std::chrono::seconds waited{0};
  // Each turn: wait as long as X asked (at least a second), then ask again;
  // stop at succeeded/failed, or when the total wait would pass the bound.
  while (processing && (processing->state == "pending" || processing->state == "in_progress")) {
    const std::chrono::seconds wait = std::max(processing->check_after, std::chrono::seconds{1});
    if (waited + wait > context.options.max_processing_wait) {
      return fail(RetryLater{std::nullopt, where + ": X still processing it after " + std::to_string(waited.count()) +
                                               "s (state " + processing->state + ")"});
    }
    context.sleep(wait);
    waited += wait;
    sent = send("GET", context.base + "/2/media/upload?command=STATUS&media_id=" + percent_encode(id), {}, {});
    if (auto p = problem(sent, "STATUS")) return fail(std::move(*p));
    answer = parse_x_media_answer(sent.response.body);
    if (!answer) return fail(RetryLater{std::nullopt, where + ", STATUS: answered without a media id"});
    if (answer->expires_after_secs > 0) expires = answer->expires_after_secs;
    processing = answer->processing;
  }
  if (processing && processing->state == "failed") {
    return fail(Failed{where + ": X could not process it: " +
                       (processing->error.empty() ? std::string("no reason given") : processing->error)});
  }
  if (processing && !processing->state.empty() && processing->state != "succeeded") {
    return fail(RetryLater{std::nullopt, where + ": unexpected processing state '" + processing->state + "'"});
  }
  return XUploaded{id, expires, std::nullopt};
}

}  // namespace herald
