// Fuzzes webhooks::FromJson/ToJson (engine/base/json_codec.h) on the request messages of
// proto/webhook.proto. The first byte picks the message type; the rest is the JSON text.
// Property: whatever FromJson accepts, ToJson writes JSON that FromJson accepts again, that
// parses to an equal message, and that ToJson writes identically (a fixed point).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/base/json_codec.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/message_differencer.h"
#include "proto/webhook.pb.h"

namespace {

std::unique_ptr<google::protobuf::Message> NewMessage(uint8_t selector) {
  switch (selector % 7) {
    case 0:
      return std::make_unique<webhooks::v1::CreateWebhookRequest>();
    case 1:
      return std::make_unique<webhooks::v1::SearchWebhooksRequest>();
    case 2:
      return std::make_unique<webhooks::v1::UpdateWebhookRequest>();
    case 3:
      return std::make_unique<webhooks::v1::DeleteWebhooksRequest>();
    case 4:
      return std::make_unique<webhooks::v1::ConfigureChannelPreferencesRequest>();
    case 5:
      return std::make_unique<webhooks::v1::SearchChannelPreferencesRequest>();
    default:
      return std::make_unique<webhooks::v1::Webhook>();
  }
}

[[noreturn]] void Fail(const char* what, const google::protobuf::Message& message,
                       absl::string_view json, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n  type: %s\n  ToJson: %.*s\n  status: %s\n", "round trip failed",
               what, message.GetTypeName().c_str(), static_cast<int>(json.size()), json.data(),
               status.ToString().c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::unique_ptr<google::protobuf::Message> parsed = NewMessage(data[0]);
  const absl::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (!webhooks::FromJson(text, parsed.get()).ok()) return 0;

  const std::string json = webhooks::ToJson(*parsed);
  const std::unique_ptr<google::protobuf::Message> again = NewMessage(data[0]);
  const absl::Status reparsed = webhooks::FromJson(json, again.get());
  if (!reparsed.ok()) Fail("ToJson output does not parse", *parsed, json, reparsed);
  if (!google::protobuf::util::MessageDifferencer::Equals(*parsed, *again)) {
    Fail("reparsed message differs", *parsed, json, reparsed);
  }
  // The fixed point, except for google.protobuf.Struct (UpdateWebhookRequest.url_params, and
  // objects inside additional_headers), whose keys ToJson writes in hash-map order: a known
  // finding, see json_codec_struct_order_test.cc.
  std::unique_ptr<google::protobuf::Message> first(parsed->New());
  first->CopyFrom(*parsed);
  std::unique_ptr<google::protobuf::Message> second(again->New());
  second->CopyFrom(*again);
  for (google::protobuf::Message* m : {first.get(), second.get()}) {
    if (auto* update = dynamic_cast<webhooks::v1::UpdateWebhookRequest*>(m)) {
      update->clear_url_params();
      update->clear_additional_headers();
    }
  }
  if (webhooks::ToJson(*first) != webhooks::ToJson(*second)) {
    Fail("ToJson is not a fixed point", *parsed, json, reparsed);
  }
  return 0;
}
