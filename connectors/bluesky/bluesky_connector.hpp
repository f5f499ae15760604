#pragma once
// The `bluesky` channel: posts to a Bluesky account through its PDS over
// XRPC (atproto.com/specs/xrpc) with an app password (bluesky_session).
//
// A post is one record, `com.atproto.repo.createRecord` of an
// app.bsky.feed.post, under a record key (a TID) herald derives from the
// delivery and stores in the ConnectorState before the create goes out. A
// PDS keeps one record per key, so sending the create again cannot make a
// second post: a repeat after a lost answer either makes the record or
// finds it there (the PDS refuses the create; getRecord shows it), and
// settle_policy() says a repeat is safe. Images go up first with
// `uploadBlob` (each remembered per delivery and file hash, so a retry does
// not upload again); a post without images carries its link as an
// app.bsky.embed.external card, from the post or, with `card: fetch` and a
// page on an own domain, from the page's og: tags.

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "connectors/bluesky/bluesky_session.hpp"
#include "connectors/connector.hpp"
#include "connectors/connector_state.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/secret.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace herald {

/// What the bluesky connector needs from its credential file.
struct BlueskyCredentials {
  Secret app_password;
};

/// Reads BlueskyCredentials from a file loaded with credential_keys(ChannelKind::bluesky).
BlueskyCredentials bluesky_credentials(const Credentials& file);

/// Where a delivery's record key is kept: "bluesky:<handle>:rkey:<delivery key>".
std::string bluesky_rkey_state_key(const std::string& handle, const std::string& delivery_key);
/// Where an uploaded blob is kept: "bluesky:<handle>:blob:<delivery key>:<sha256 of the bytes>".
std::string bluesky_blob_state_key(const std::string& handle, const std::string& delivery_key,
                                   const std::string& sha256_hex);

/// An image (and a card's thumbnail) may be this large (app.bsky.embed.external's
/// thumb maxSize; herald keeps images to it too, DESIGN.md "bluesky").
inline constexpr std::size_t kBlueskyMaxImageBytes = 1'000'000;
/// app.bsky.embed.images: at most 4 images.
inline constexpr std::size_t kBlueskyMaxImages = 4;

/// createdAt for a record: the instant in UTC with milliseconds, 2027-03-02T09:00:00.000Z.
std::string bluesky_datetime(std::chrono::sys_time<std::chrono::microseconds> at);

/// Publishes to Bluesky.
class BlueskyConnector : public Connector {
 public:
  using Clock = std::function<Instant()>;

  /// `channel.handle` is the account; `channel.api_base`, if set, else
  /// `channel.pds` is the PDS; `channel.card` is "post" or "fetch";
  /// `channel.language` goes into `langs`. `own_domains` (the settings'
  /// links.own_domains) are the hosts whose pages a `fetch` card may read.
  /// `state` keeps the session's refresh JWT, each delivery's record key
  /// and its uploaded blobs (durable in the daemon). `clock` dates waits,
  /// the session's expiry, and a record key when a request has no local time.
  BlueskyConnector(ChannelSettings channel, BlueskyCredentials credentials, std::vector<std::string> own_domains,
                   HttpClient& http, ConnectorState& state, Clock clock);
  ~BlueskyConnector() override;

  /// A repeat is safe: the same record key cannot make a second record.
  SettlePolicy settle_policy() const override;
  /// A first comment keeps its own record key as a post does: a repeat is safe.
  SettlePolicy comment_settle_policy() const override { return settle_policy(); }
  /// With a stored record key, first looks for the record an earlier
  /// attempt made (getRecord: found is Published). Then checks the post,
  /// stores a new key if there was none, uploads the images (or reuses
  /// them), builds the card, and sends createRecord. A lost answer or a 5xx to the
  /// create is Unsure (unless getRecord shows the record); an answer that
  /// the record exists is Published.
  /// With request.comment_on: a reply to that post (record.reply with the
  /// parent's and its thread root's strongRefs, the parent read with
  /// getRecord), its text alone; a parent the PDS no longer has is Failed.
  PublishResult publish(const PublishRequest& request) override;
  /// getRecord of the stored record key (a first comment's too): Found, RecordNotFound is Absent;
  /// no stored key is Absent (nothing was ever sent); other failures Unknown.
  LookupResult lookup(const PublishRequest& request) override;
  /// Bluesky's AppView counts the likes, reposts, quotes and replies of every post.
  bool reads_counters() const override { return true; }
  /// app.bsky.feed.getPosts?uris=AT-URI through the PDS, with the session:
  /// likeCount (likes), repostCount and quoteCount (shares), replyCount
  /// (replies). A post the AppView leaves out of `posts` (deleted) is Gone.
  CountersResult read_counters(const CountersRequest& request) override;

  /// How long a PDS may go on with a create after herald stopped waiting.
  static constexpr std::chrono::seconds kSettleMargin{120};

 private:
  struct Card;
  struct Sent {
    HttpResponse response;
    std::optional<PublishResult> session_problem;
  };
  enum class RecordState { found, absent, unknown };
  struct Lookup {
    RecordState state = RecordState::unknown;
    std::string uri;
    std::string message;
  };
  /// Sends with the session's access JWT; after a refused token, renews and sends once more.
  Sent send_authed(HttpRequest request);
  HttpRequest xrpc(std::string method, const std::string& nsid);
  Lookup get_record(const std::string& rkey);
  /// The reply ref for a reply to the post at `parent_uri`: {root, parent}
  /// strongRefs, or what stops it (the parent gone is Failed).
  std::variant<boost::json::object, PublishResult> reply_ref(const std::string& parent_uri);
  std::variant<boost::json::object, PublishResult> upload_blob(const std::string& delivery_key, const std::string& bytes,
                                                               const std::string& mime, const std::string& what,
                                                               std::vector<std::string>& state_keys);
  Card card_for(const std::string& delivery_key, const Composed& composed, std::vector<std::string>& state_keys);
  std::string repo() const;
  std::string uri_of(const std::string& rkey) const;

  ChannelSettings channel_;
  std::vector<std::string> own_domains_;
  HttpClient& http_;
  ConnectorState& state_;
  Clock clock_;
  std::string base_;
  std::string credential_name_;
  BlueskySession session_;
};

}  // namespace herald
