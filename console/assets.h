// The web console's files (console/web/), compiled into the binary: //console:assets is built
// from a source that embed_assets generates, so nothing is read from disk at run time.
//
//   for (const ConsoleAsset& asset : ConsoleAssets()) Serve(asset.path, asset.contents());
#ifndef WEBHOOKS_CONSOLE_ASSETS_H_
#define WEBHOOKS_CONSOLE_ASSETS_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace webhooks {

struct ConsoleAsset {
  const char* path;  // Relative to console/web/, e.g. "app.js".
  const unsigned char* data;
  size_t size;

  absl::string_view contents() const {
    return absl::string_view(reinterpret_cast<const char*>(data), size);
  }
};

// Every file under console/web/, sorted by path. Static storage; thread-safe.
absl::Span<const ConsoleAsset> ConsoleAssets();

}  // namespace webhooks

#endif  // WEBHOOKS_CONSOLE_ASSETS_H_
