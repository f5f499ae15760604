#include "daemon/connector_factory.hpp"

#include "connectors/bluesky/bluesky_connector.hpp"
#include "connectors/credentials.hpp"
#include "connectors/facebook/facebook_connector.hpp"
#include "connectors/linkedin/linkedin_connector.hpp"
#include "connectors/instagram/instagram_connector.hpp"
#include "connectors/mastodon/mastodon_connector.hpp"
#include "connectors/static/static_connector.hpp"
#include "connectors/wordpress/wordpress_connector.hpp"
#include "connectors/youtube/youtube_connector.hpp"
#include "connectors/x/x_connector.hpp"

#include <stdexcept>

namespace herald {

std::unique_ptr<Connector> make_connector(const ChannelSettings& channel, const Settings& settings,
                                          ConnectorServices services, std::vector<std::string>& warnings) {
  if (channel.kind == ChannelKind::static_site) return std::make_unique<StaticConnector>(channel);
  Credentials file = load_credentials(settings.credentials_dir, channel.credentials, credential_keys(channel.kind));
  if (file.warning) warnings.push_back(*file.warning);
  switch (channel.kind) {
    case ChannelKind::x:
      return std::make_unique<XConnector>(channel, x_credentials(file), services.http, services.state, random_nonce,
                                          services.now);
    case ChannelKind::facebook:
      return std::make_unique<FacebookConnector>(channel, facebook_credentials(file), services.http, services.state,
                                                 services.now);
    case ChannelKind::youtube:
      return std::make_unique<YoutubeConnector>(channel, youtube_credentials(file), services.http, services.state,
                                                services.now);
    case ChannelKind::wordpress:
      return std::make_unique<WordpressConnector>(channel, wordpress_credentials(file), services.http, services.now);
    case ChannelKind::static_site:
      break;
    case ChannelKind::linkedin:
      return std::make_unique<LinkedinConnector>(channel, linkedin_credentials(file), services.http, services.state,
                                                 services.now);
    case ChannelKind::instagram:
      return std::make_unique<InstagramConnector>(channel, instagram_credentials(file), services.http, services.state,
                                                  services.now);
    case ChannelKind::mastodon:
      return std::make_unique<MastodonConnector>(channel, mastodon_credentials(file), services.http, services.state,
                                                 services.now);
    case ChannelKind::bluesky:
      return std::make_unique<BlueskyConnector>(channel, bluesky_credentials(file), settings.links.own_domains,
                                                services.http, services.state, services.now);
  }
  return std::make_unique<StaticConnector>(channel);
}

}  // namespace herald
